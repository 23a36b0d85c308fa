# filters/filter.mk — the filter process (Kafka glue and file mode) over the rule engine.
PROGRAMS += bp-filter
bp-filter_MAIN := filters/filter_main.c
