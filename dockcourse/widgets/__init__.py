"""ipywidgets built from the engine, measurements and plots. Nothing imports this package;
notebooks get the widgets through ``from dockcourse import VolumeManager``."""
