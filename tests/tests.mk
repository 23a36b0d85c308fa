# tests/tests.mk — which libraries each unit test of common/ links (see the Makefile).
test_common_USES := none
test_config_USES := none
test_model_USES := none
test_kafka_USES := none
test_httpd_USES := none
test_metrics_USES := none
