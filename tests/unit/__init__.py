"""Unit tests of the tutor's pure logic: no Docker, no terminal, no process of their own."""
