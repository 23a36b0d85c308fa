# filters/module.mk — programs of the filter stage: the rule writers' tool (and bp-filter).
PROGRAMS += bp-rules
bp-rules_MAIN := filters/rules_main.c
