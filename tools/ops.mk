# tools/ops.mk — operations tools: YAML checking for the compose tests, the container health probe.
PROGRAMS += bp-yamlcheck bp-probe
bp-yamlcheck_MAIN := tools/yamlcheck_main.c
bp-probe_MAIN := tools/probe_main.c
