# alerter/ — bp-alert: routes bp.alerts to the care team's channels.
PROGRAMS += bp-alert
bp-alert_MAIN := alerter/alert_main.c
