"""Application templates, applications, their sections, specimen lines and team members."""
