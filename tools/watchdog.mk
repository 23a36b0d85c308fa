# tools/watchdog.mk — bp-watchdog: operational alerts for collector feeds that went silent.
PROGRAMS += bp-watchdog
bp-watchdog_MAIN := tools/watchdog_main.c
bp-watchdog_USES := collectors
# the watchdog logic (tools) uses the heartbeat record (collectors): tools must come first
test_watchdog_USES := tools collectors alerter
