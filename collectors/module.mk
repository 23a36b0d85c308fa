# collectors/module.mk — the collector programs, one per source kind.
PROGRAMS += bp-collect-rss
bp-collect-rss_MAIN := collectors/rss_main.c
PROGRAMS += bp-collect-vk
bp-collect-vk_MAIN := collectors/vk_main.c
PROGRAMS += bp-collect-telegram
bp-collect-telegram_MAIN := collectors/telegram_main.c
PROGRAMS += bp-collect-x
bp-collect-x_MAIN := collectors/x_main.c
PROGRAMS += bp-collect-mastodon
bp-collect-mastodon_MAIN := collectors/mastodon_main.c
PROGRAMS += bp-collect-reddit
bp-collect-reddit_MAIN := collectors/reddit_main.c
PROGRAMS += bp-collect-http-json
bp-collect-http-json_MAIN := collectors/httpjson_main.c
PROGRAMS += bp-collect-webhook
bp-collect-webhook_MAIN := collectors/webhook_main.c
