"""Signals: strategy presets, evaluation state, throttle memory."""
