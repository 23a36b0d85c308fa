# collectors/file.mk — the file collector (foundation); the other sources are in module.mk.
PROGRAMS += bp-collect-file
bp-collect-file_MAIN := collectors/file_main.c
bp-collect-file_NOLIB := 1
