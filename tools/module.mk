# tools/ — the development broker and operator tools.
PROGRAMS += bp-broker bp-tail
bp-broker_MAIN := tools/broker_main.c
bp-tail_MAIN := tools/tail_main.c
