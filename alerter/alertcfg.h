/* alertcfg.h — the alerter's configuration (YAML): channels, routes, schedules, escalation,
 * flood control, acknowledgement; bound through common/config.h tables and cross-checked
 * (a route naming an unknown channel is an error at the route's line). */
#ifndef BP_ALERTCFG_H
#define BP_ALERTCFG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum {
    ACH_CONSOLE,
    ACH_WEBHOOK,
    ACH_SLACK,
    ACH_TELEGRAM,
    ACH_EMAIL,
    ACH_PAGERDUTY,
} ach_type_t;

typedef struct ach_cfg {
    char *name;
    char *type_name;
    ach_type_t type;
    int line, col;           /* where the channel was declared, for messages */
    /* delivery */
    int64_t timeout_ms;
    long long retries;       /* attempts after the first before dead-lettering */
    int64_t retry_base_ms, retry_cap_ms;
    char *mask;              /* "card,phone,email", "all" or "none" */
    unsigned mask_kinds;     /* parsed from mask */
    char *tpl;               /* message template ({{field}}), "" = built-in */
    char *tpl_subject;       /* e-mail subject template */
    long long rate_limit;    /* messages per rate_per, 0 = no limit */
    int64_t rate_per_ms;
    /* webhook / slack */
    char *url;               /* secret */
    char *signing_secret;    /* webhook: Standard Webhooks secret (secret), NULL = unsigned */
    /* telegram */
    char *token;             /* secret: bot token */
    char *chat_id;
    char *api_base;          /* https://api.telegram.org, https://events.pagerduty.com ... */
    int64_t min_interval_ms; /* telegram: least time between two messages to the chat */
    int buttons;             /* telegram: acknowledge/resolve/snooze buttons, read back */
    int64_t poll_ms;         /* telegram: how often getUpdates is asked for button presses */
    /* email */
    char *smtp_url;          /* smtp://host:port or smtps:// */
    char *from;
    bp_strlist_t to;
    char *username;
    char *password;          /* secret */
    int starttls;            /* require STARTTLS on smtp:// */
    char *ca_file;           /* CA bundle to verify the SMTP server with, "" = system */
    /* pagerduty */
    char *routing_key;       /* secret */
    char *severity;          /* default severity when not derived from priority */
} ach_cfg_t;

typedef struct aesc_cfg {    /* one escalation level of a route */
    int64_t after_ms;        /* since the alert was delivered (0: the route's SLA) */
    bp_strlist_t channels;
} aesc_cfg_t;

typedef struct aroute_when {
    bp_strlist_t brand, priority, reason, lang, source;
    char *schedule;          /* "" any time, "NAME" inside the schedule, "!NAME" outside it */
} aroute_when_t;

typedef struct aroute_cfg {
    char *name;
    int line, col;
    aroute_when_t when;
    bp_strlist_t channels;
    int64_t sla_ms;          /* 0: the global sla */
    int stop;                /* later routes are not considered when this one matched */
    aesc_cfg_t *escalate;
    size_t nescalate;
} aroute_cfg_t;

typedef struct asched_cfg {  /* business hours in a time zone */
    char *name;
    char *tz;                /* IANA name, e.g. Europe/Kyiv */
    bp_strlist_t days;       /* mon..sun */
    char *hours;             /* "09:00-18:00" */
    int day_mask;            /* bit 0 = Sunday .. bit 6 = Saturday */
    int from_min, to_min;    /* minutes since midnight; to may be < from (overnight) */
} asched_cfg_t;

typedef struct aoncall_cfg { /* a rotation: one of `channels` is on call, in turns */
    char *name;
    bp_strlist_t channels;
    char *start;             /* RFC 3339: when the first channel's turn began */
    int64_t start_ms;
    int64_t shift_ms;        /* length of a turn */
} aoncall_cfg_t;

typedef struct asilence_cfg { /* alerts matching every given list are not sent until `until` */
    bp_strlist_t brand, reason, author; /* author: id or name */
    char *by, *why, *until;
    int64_t until_ms;
    int line;
} asilence_cfg_t;

typedef struct alert_cfg {
    bp_common_cfg_t common;
    char *state_dir;
    int64_t sla_ms;
    long long dedup_size;
    int dedup_rebuild;             /* on assignment, add the post ids found in bp.deliveries */
    int64_t dedup_rebuild_timeout_ms;
    /* near-duplicates */
    int64_t fold_window_ms;
    long long fold_distance;
    /* bursts -> incidents */
    long long incident_threshold;
    int64_t incident_window_ms;
    long long incident_samples;
    int64_t incident_update_ms;
    int64_t incident_quiet_ms;  /* resolved after this long without new alerts */
    bp_strlist_t incident_exempt; /* brands never folded nor grouped ("_ops") */
    /* spikes of a brand's negative volume */
    double spike_factor;           /* 0 = off */
    long long spike_min_volume;
    int64_t spike_cooldown_ms;
    /* digests */
    int64_t digest_every_ms;
    bp_strlist_t digest_priorities; /* these priorities are batched into digests */
    /* acknowledgement API */
    char *ack_listen;        /* "127.0.0.1:8089", "" = off */
    char *ack_base_url;      /* public base for links, "" = http://<listen> */
    char *ack_secret;        /* secret for signing links */
    char *ack_port_file;
    ach_cfg_t *channels;
    size_t nchannels;
    aroute_cfg_t *routes;
    size_t nroutes;
    asched_cfg_t *schedules;
    size_t nschedules;
    aoncall_cfg_t *oncall;
    size_t noncall;
    asilence_cfg_t *silences;
    size_t nsilences;
} alert_cfg_t;

/* Loads and checks the configuration (brokers_override from --brokers may be NULL).
 * Returns 0, or -1 with "file:line:col: key 'x': message" in err. Free with alertcfg_free. */
int alertcfg_load(const char *path, const char *brokers_override, alert_cfg_t *cfg, char *err,
                  size_t errlen);
/* Loads from a YAML string (tests). Same contract as alertcfg_load. */
int alertcfg_load_string(const char *yaml, alert_cfg_t *cfg, char *err, size_t errlen);
void alertcfg_free(alert_cfg_t *cfg);
/* Prints the configuration keys and their help (for --help). */
void alertcfg_print_help(void);

/* Index of the channel named name, or -1. */
int alertcfg_channel_index(const alert_cfg_t *cfg, const char *name);
const asched_cfg_t *alertcfg_schedule(const alert_cfg_t *cfg, const char *name);
const aoncall_cfg_t *alertcfg_oncall(const alert_cfg_t *cfg, const char *name);

#endif
