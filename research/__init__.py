"""Research scripts: measures on fetched data, kept out of the wheel and of bench/."""
