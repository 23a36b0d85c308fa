# filters/module.mk — the rule writers' tool (bp-filter itself is declared in filter.mk).
PROGRAMS += bp-rules
bp-rules_MAIN := filters/rules_main.c
