"""Review cycles, meetings, reviewer assignments, score sheets, decisions and appeals."""
