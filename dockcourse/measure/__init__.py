"""Measurements of what the course claims: start-up time and disk usage.

``startup`` (process, namespaces, containers), ``vm`` (a QEMU baseline), ``disk``
(N containers against N VMs) and ``results`` (records, files, provenance). These return
data and never plot; :mod:`dockcourse.plots` draws them. Importing this package imports
none of them (and so neither docker nor matplotlib).
"""
