"""Tests for the plain-Python helpers in lib."""
