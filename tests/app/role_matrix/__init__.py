"""The role matrix's parts (tests/app/test_role_matrix.py runs them): lab.py (the roles, the codes a row expects
of them, and the lab its rows make objects in), cases.py (the rows of runs, sweeps, data, accounts and pages)
and class_cases.py (the rows of classes, assignments, attempts and lessons)."""
