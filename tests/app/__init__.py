"""Tests of the Textual app: Pilot against a real lab, snapshots over a fake one, the console script in tmux."""
