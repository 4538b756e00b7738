"""Lesson steps: what each chapter's cells ask of the engine, recorded and replayed."""
