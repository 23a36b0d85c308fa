# replay/module.mk — bp-replay: the analyst's replay of a topic over a time range (docs/replay.md).
PROGRAMS += bp-replay
bp-replay_MAIN := replay/replay_main.c
bp-replay_USES := filters alerter
# the replay unit test needs only its own library and common and the alerter's SimHash (the rule engine is exercised by the integration tests)
test_replay_USES := replay alerter
