"""The classroom server: seats that own a lab and its progress, access codes, the teacher's view, on textual-serve."""
