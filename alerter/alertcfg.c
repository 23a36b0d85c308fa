/* alertcfg.c — the alerter's configuration tables, the per-type channel tables, and the checks
 * that tie channels, routes, schedules and rotations together. */
#include "alertcfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mask.h"
#include "render.h"
#include "timeutil.h"

#define E_(key, type, def, field, help) \
    {key, type, def, offsetof(ach_cfg_t, field), help, NULL, NULL, NULL, 0}

/* keys every channel has */
#define ACH_COMMON                                                                           \
    E_("name", BP_CFG_STR, NULL, name, "channel name, used by routes"),                      \
    E_("type", BP_CFG_STR, NULL, type_name,                                                  \
       "console, webhook, slack, telegram, email or pagerduty"),                             \
    E_("timeout", BP_CFG_DURATION, "5s", timeout_ms, "time allowed for one delivery attempt"), \
    E_("retries", BP_CFG_INT, "5", retries, "attempts after the first before dead-lettering"), \
    E_("retry_base", BP_CFG_DURATION, "1s", retry_base_ms, "first back-off delay"),          \
    E_("retry_cap", BP_CFG_DURATION, "60s", retry_cap_ms, "longest back-off delay"),         \
    E_("mask", BP_CFG_STR, NULL, mask,                                                       \
       "personal data to mask: card,phone,email, all or none (default all; webhook none)"),  \
    E_("template", BP_CFG_STR, "", tpl, "message template with {{field}} placeholders"),     \
    E_("rate_limit", BP_CFG_INT, "0", rate_limit,                                            \
       "most messages per rate_per; the overflow goes into a digest (0 = no limit)"),        \
    E_("rate_per", BP_CFG_DURATION, "1m", rate_per_ms, "the rate limit's period")

static const bp_cfg_entry_t ach_console_table[] = {ACH_COMMON, {NULL}};

static const bp_cfg_entry_t ach_webhook_table[] = {
    ACH_COMMON,
    E_("url", BP_CFG_SECRET, NULL, url, "receiver URL: {env: VAR} or {file: PATH}"),
    E_("signing_secret", BP_CFG_SECRET, NULL, signing_secret,
       "Standard Webhooks secret (whsec_... base64 or raw); unsigned when absent"),
    {NULL}};

static const bp_cfg_entry_t ach_slack_table[] = {
    ACH_COMMON,
    E_("url", BP_CFG_SECRET, NULL, url, "incoming-webhook URL: {env: VAR} or {file: PATH}"),
    {NULL}};

static const bp_cfg_entry_t ach_telegram_table[] = {
    ACH_COMMON,
    E_("token", BP_CFG_SECRET, NULL, token, "bot token: {env: VAR} or {file: PATH}"),
    E_("chat_id", BP_CFG_STR, NULL, chat_id, "chat to post to"),
    E_("api_base", BP_CFG_STR, "https://api.telegram.org", api_base, "Bot API base URL"),
    E_("min_interval", BP_CFG_DURATION, "1s", min_interval_ms,
       "least time between two messages to the chat (Telegram allows about one a second)"),
    E_("buttons", BP_CFG_BOOL, "false", buttons,
       "add Acknowledge / Resolve / Snooze buttons and read presses back with getUpdates "
       "(the bot must not have a webhook set)"),
    E_("poll", BP_CFG_DURATION, "2s", poll_ms, "how often button presses are fetched"),
    {NULL}};

static const bp_cfg_entry_t ach_email_table[] = {
    ACH_COMMON,
    E_("smtp_url", BP_CFG_STR, NULL, smtp_url, "smtp://host:port or smtps://host:port"),
    E_("from", BP_CFG_STR, NULL, from, "sender address"),
    E_("to", BP_CFG_STRLIST, NULL, to, "recipient addresses"),
    E_("username", BP_CFG_STR, "", username, "SMTP user, empty for none"),
    E_("password", BP_CFG_SECRET, NULL, password, "SMTP password: {env: VAR} or {file: PATH}"),
    E_("starttls", BP_CFG_BOOL, "false", starttls, "require STARTTLS on smtp://"),
    E_("ca_file", BP_CFG_STR, "", ca_file, "CA certificates to verify the server with "
                                           "(default: the system's)"),
    E_("subject", BP_CFG_STR, "", tpl_subject, "subject template"),
    {NULL}};

static const bp_cfg_entry_t ach_pagerduty_table[] = {
    ACH_COMMON,
    E_("routing_key", BP_CFG_SECRET, NULL, routing_key, "integration key: {env: VAR}"),
    E_("api_base", BP_CFG_STR, "https://events.pagerduty.com", api_base, "Events API base URL"),
    E_("severity", BP_CFG_STR, "", severity, "critical/error/warning/info; default from priority"),
    {NULL}};

#undef E_

static const struct {
    const char *name;
    ach_type_t type;
    const bp_cfg_entry_t *table;
} ach_types[] = {
    {"console", ACH_CONSOLE, ach_console_table},       {"webhook", ACH_WEBHOOK, ach_webhook_table},
    {"slack", ACH_SLACK, ach_slack_table},             {"telegram", ACH_TELEGRAM, ach_telegram_table},
    {"email", ACH_EMAIL, ach_email_table},             {"pagerduty", ACH_PAGERDUTY, ach_pagerduty_table},
};
#define ACH_NTYPES (sizeof ach_types / sizeof ach_types[0])

static int alertcfg_ach_table(ach_type_t t)
{
    for (size_t i = 0; i < ACH_NTYPES; i++)
        if (ach_types[i].type == t)
            return (int)i;
    return 0;
}

static int alertcfg_need(const bp_ynode_t *n, const char *what, const void *v, char *err,
                         size_t errlen)
{
    if (v == NULL || (what[0] != '#' && *(const char *)v == '\0'))
        return bp_yaml_error(n, err, errlen, "missing required key '%s'",
                             what[0] == '#' ? what + 1 : what);
    return 0;
}

static int alertcfg_parse_channel(const bp_ynode_t *n, ach_cfg_t *ch, char *err, size_t errlen)
{
    if (n->type != BP_Y_MAP)
        return bp_yaml_error(n, err, errlen, "a channel is a mapping, got %s",
                             bp_yaml_type_name(n->type));
    ch->line = n->line;
    ch->col = n->col;
    const bp_ynode_t *t = bp_yaml_get(n, "type");
    if (!t || t->type != BP_Y_SCALAR)
        return bp_yaml_error(t ? t : n, err, errlen,
                             "key 'type': required, one of console, webhook, slack, telegram, "
                             "email, pagerduty");
    size_t k = 0;
    while (k < ACH_NTYPES && strcmp(ach_types[k].name, t->value) != 0)
        k++;
    if (k == ACH_NTYPES)
        return bp_yaml_error(t, err, errlen,
                             "key 'type': unknown channel type '%s' (known: console, webhook, "
                             "slack, telegram, email, pagerduty)",
                             t->value);
    ch->type = ach_types[k].type;
    if (bp_cfg_defaults(ach_types[k].table, ch, err, errlen) != 0 ||
        bp_cfg_bind(n, ach_types[k].table, ch, err, errlen) != 0)
        return -1;
    if (alertcfg_need(n, "name", ch->name, err, errlen) != 0)
        return -1;
    switch (ch->type) {
    case ACH_WEBHOOK:
    case ACH_SLACK:
        if (alertcfg_need(n, "#url", ch->url, err, errlen) != 0)
            return -1;
        break;
    case ACH_TELEGRAM:
        if (alertcfg_need(n, "#token", ch->token, err, errlen) != 0 ||
            alertcfg_need(n, "chat_id", ch->chat_id, err, errlen) != 0)
            return -1;
        break;
    case ACH_EMAIL:
        if (alertcfg_need(n, "smtp_url", ch->smtp_url, err, errlen) != 0 ||
            alertcfg_need(n, "from", ch->from, err, errlen) != 0)
            return -1;
        if (ch->to.n == 0)
            return bp_yaml_error(n, err, errlen, "missing required key 'to'");
        break;
    case ACH_PAGERDUTY:
        if (alertcfg_need(n, "#routing_key", ch->routing_key, err, errlen) != 0)
            return -1;
        if (ch->severity[0] && strcmp(ch->severity, "critical") != 0 &&
            strcmp(ch->severity, "error") != 0 && strcmp(ch->severity, "warning") != 0 &&
            strcmp(ch->severity, "info") != 0)
            return bp_yaml_error(bp_yaml_get(n, "severity"), err, errlen,
                                 "key 'severity': expected critical, error, warning or info, got "
                                 "'%s'",
                                 ch->severity);
        break;
    default:
        break;
    }
    if (!ch->mask)
        ch->mask = strdup(ch->type == ACH_WEBHOOK ? "none" : "all");
    if (!ch->mask || mask_parse_kinds(ch->mask, &ch->mask_kinds) != 0)
        return bp_yaml_error(bp_yaml_get(n, "mask") ? bp_yaml_get(n, "mask") : n, err, errlen,
                             "key 'mask': expected card, phone, email, all or none, got '%s'",
                             ch->mask ? ch->mask : "");
    if (ch->retries < 0 || ch->retries > 100)
        return bp_yaml_error(bp_yaml_get(n, "retries"), err, errlen,
                             "key 'retries': expected 0..100, got %lld", ch->retries);
    if (ch->timeout_ms <= 0)
        return bp_yaml_error(bp_yaml_get(n, "timeout"), err, errlen,
                             "key 'timeout': must be positive");
    if (ch->rate_limit < 0)
        return bp_yaml_error(bp_yaml_get(n, "rate_limit"), err, errlen,
                             "key 'rate_limit': must not be negative");
    return 0;
}

static void alertcfg_free_channel(ach_cfg_t *ch)
{
    bp_cfg_free(ach_types[alertcfg_ach_table(ch->type)].table, ch);
}

static int alertcfg_parse_channels(const bp_ynode_t *n, void *field, char *err, size_t errlen)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, channels));
    if (n->type != BP_Y_SEQ)
        return bp_yaml_error(n, err, errlen, "key 'channels': expected a list, got %s",
                             bp_yaml_type_name(n->type));
    cfg->channels = calloc(n->n ? n->n : 1, sizeof *cfg->channels);
    if (!cfg->channels)
        return bp_yaml_error(n, err, errlen, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        cfg->nchannels = i + 1;
        if (alertcfg_parse_channel(n->items[i], &cfg->channels[i], err, errlen) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->channels[j].name, cfg->channels[i].name) == 0)
                return bp_yaml_error(n->items[i], err, errlen,
                                     "key 'name': channel '%s' is declared twice (first at line "
                                     "%d)",
                                     cfg->channels[i].name, cfg->channels[j].line);
    }
    return 0;
}

static void alertcfg_free_channels(void *field)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, channels));
    for (size_t i = 0; i < cfg->nchannels; i++)
        alertcfg_free_channel(&cfg->channels[i]);
    free(cfg->channels);
    cfg->channels = NULL;
    cfg->nchannels = 0;
}

/* ---- routes ---- */

static const bp_cfg_entry_t aroute_when_table[] = {
    {"brand", BP_CFG_STRLIST, NULL, offsetof(aroute_when_t, brand), "brands (any of)", NULL,
     NULL, NULL, 0},
    {"priority", BP_CFG_STRLIST, NULL, offsetof(aroute_when_t, priority),
     "priorities (any of): urgent, high, normal, low", NULL, NULL, NULL, 0},
    {"reason", BP_CFG_STRLIST, NULL, offsetof(aroute_when_t, reason),
     "reasons (any of); 'urgent' matches 'urgent:fraud'", NULL, NULL, NULL, 0},
    {"lang", BP_CFG_STRLIST, NULL, offsetof(aroute_when_t, lang), "languages (any of)", NULL,
     NULL, NULL, 0},
    {"source", BP_CFG_STRLIST, NULL, offsetof(aroute_when_t, source), "sources (any of)", NULL,
     NULL, NULL, 0},
    {"schedule", BP_CFG_STR, "", offsetof(aroute_when_t, schedule),
     "NAME: only inside the schedule; !NAME: only outside it", NULL, NULL, NULL, 0},
    {NULL}};

static const bp_cfg_entry_t aesc_table[] = {
    {"after", BP_CFG_DURATION, "0", offsetof(aesc_cfg_t, after_ms),
     "time without acknowledgement (0: the route's SLA)", NULL, NULL, NULL, 0},
    {"channels", BP_CFG_STRLIST, NULL, offsetof(aesc_cfg_t, channels), "channels to notify",
     NULL, NULL, NULL, 1},
    {NULL}};

static int alertcfg_parse_escalate(const bp_ynode_t *n, void *field, char *err, size_t errlen)
{
    aroute_cfg_t *r = (aroute_cfg_t *)((char *)field - offsetof(aroute_cfg_t, escalate));
    if (n->type != BP_Y_SEQ)
        return bp_yaml_error(n, err, errlen, "key 'escalate': expected a list of levels, got %s",
                             bp_yaml_type_name(n->type));
    r->escalate = calloc(n->n ? n->n : 1, sizeof *r->escalate);
    if (!r->escalate)
        return bp_yaml_error(n, err, errlen, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        r->nescalate = i + 1;
        if (bp_cfg_defaults(aesc_table, &r->escalate[i], err, errlen) != 0 ||
            bp_cfg_bind(n->items[i], aesc_table, &r->escalate[i], err, errlen) != 0)
            return -1;
    }
    return 0;
}

static void alertcfg_free_escalate(void *field)
{
    aroute_cfg_t *r = (aroute_cfg_t *)((char *)field - offsetof(aroute_cfg_t, escalate));
    for (size_t i = 0; i < r->nescalate; i++)
        bp_cfg_free(aesc_table, &r->escalate[i]);
    free(r->escalate);
    r->escalate = NULL;
    r->nescalate = 0;
}

static const bp_cfg_entry_t aroute_table[] = {
    {"name", BP_CFG_STR, "", offsetof(aroute_cfg_t, name), "route name (for logs)", NULL, NULL,
     NULL, 0},
    {"when", BP_CFG_SECTION, NULL, offsetof(aroute_cfg_t, when),
     "conditions, all must hold; absent: every alert", aroute_when_table, NULL, NULL, 0},
    {"channels", BP_CFG_STRLIST, NULL, offsetof(aroute_cfg_t, channels),
     "channels (or on-call rotations) to deliver to", NULL, NULL, NULL, 1},
    {"sla", BP_CFG_DURATION, "0", offsetof(aroute_cfg_t, sla_ms),
     "answer deadline from published_at (0: the global sla)", NULL, NULL, NULL, 0},
    {"stop", BP_CFG_BOOL, "false", offsetof(aroute_cfg_t, stop),
     "when this route matched, later routes are not considered", NULL, NULL, NULL, 0},
    {"escalate", BP_CFG_CUSTOM, NULL, offsetof(aroute_cfg_t, escalate),
     "levels: [{after: 7m, channels: [...]}, ...]", NULL, alertcfg_parse_escalate,
     alertcfg_free_escalate, 0},
    {NULL}};

static int alertcfg_parse_routes(const bp_ynode_t *n, void *field, char *err, size_t errlen)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, routes));
    if (n->type != BP_Y_SEQ)
        return bp_yaml_error(n, err, errlen, "key 'routes': expected a list, got %s",
                             bp_yaml_type_name(n->type));
    cfg->routes = calloc(n->n ? n->n : 1, sizeof *cfg->routes);
    if (!cfg->routes)
        return bp_yaml_error(n, err, errlen, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        aroute_cfg_t *r = &cfg->routes[i];
        cfg->nroutes = i + 1;
        r->line = n->items[i]->line;
        r->col = n->items[i]->col;
        if (bp_cfg_defaults(aroute_table, r, err, errlen) != 0 ||
            bp_cfg_bind(n->items[i], aroute_table, r, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static void alertcfg_free_routes(void *field)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, routes));
    for (size_t i = 0; i < cfg->nroutes; i++)
        bp_cfg_free(aroute_table, &cfg->routes[i]);
    free(cfg->routes);
    cfg->routes = NULL;
    cfg->nroutes = 0;
}

/* ---- schedules and on-call rotations ---- */

static const bp_cfg_entry_t asched_table[] = {
    {"name", BP_CFG_STR, NULL, offsetof(asched_cfg_t, name), "schedule name", NULL, NULL, NULL,
     1},
    {"tz", BP_CFG_STR, "UTC", offsetof(asched_cfg_t, tz), "IANA time zone, e.g. Europe/Kyiv",
     NULL, NULL, NULL, 0},
    {"days", BP_CFG_STRLIST, "mon,tue,wed,thu,fri", offsetof(asched_cfg_t, days),
     "days of the week: mon..sun, or ranges like mon-fri", NULL, NULL, NULL, 0},
    {"hours", BP_CFG_STR, "09:00-18:00", offsetof(asched_cfg_t, hours),
     "HH:MM-HH:MM local time (may cross midnight)", NULL, NULL, NULL, 0},
    {NULL}};

static int alertcfg_day(const char *s, size_t n)
{
    static const char *const d[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (int i = 0; i < 7; i++)
        if (n == 3 && strncasecmp(s, d[i], 3) == 0)
            return i;
    return -1;
}

static int alertcfg_hhmm(const char *s, int *out)
{
    int h, m;
    char tail;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) < 2 || h < 0 || h > 24 || m < 0 || m > 59 ||
        (h == 24 && m != 0))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int alertcfg_check_schedule(const bp_ynode_t *n, asched_cfg_t *s, char *err, size_t errlen)
{
    s->day_mask = 0;
    for (size_t i = 0; i < s->days.n; i++) {
        const char *d = s->days.v[i];
        const char *dash = strchr(d, '-');
        int a = alertcfg_day(d, dash ? (size_t)(dash - d) : strlen(d));
        int b = dash ? alertcfg_day(dash + 1, strlen(dash + 1)) : a;
        if (a < 0 || b < 0)
            return bp_yaml_error(bp_yaml_get(n, "days") ? bp_yaml_get(n, "days") : n, err,
                                 errlen, "key 'days': expected mon..sun or a range like mon-fri, "
                                         "got '%s'",
                                 d);
        for (int k = a;; k = (k + 1) % 7) {
            s->day_mask |= 1 << k;
            if (k == b)
                break;
        }
    }
    char from[16], to[16];
    const char *dash = strchr(s->hours, '-');
    if (!dash || (size_t)(dash - s->hours) >= sizeof from || strlen(dash + 1) >= sizeof to)
        goto bad_hours;
    memcpy(from, s->hours, (size_t)(dash - s->hours));
    from[dash - s->hours] = '\0';
    strcpy(to, dash + 1);
    if (alertcfg_hhmm(from, &s->from_min) != 0 || alertcfg_hhmm(to, &s->to_min) != 0)
        goto bad_hours;
    if (strchr(s->tz, '/') == NULL && strcmp(s->tz, "UTC") != 0)
        return bp_yaml_error(bp_yaml_get(n, "tz") ? bp_yaml_get(n, "tz") : n, err, errlen,
                             "key 'tz': expected an IANA zone like Europe/Kyiv or UTC, got '%s'",
                             s->tz);
    return 0;
bad_hours:
    return bp_yaml_error(bp_yaml_get(n, "hours") ? bp_yaml_get(n, "hours") : n, err, errlen,
                         "key 'hours': expected HH:MM-HH:MM, got '%s'", s->hours);
}

static int alertcfg_parse_schedules(const bp_ynode_t *n, void *field, char *err, size_t errlen)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, schedules));
    if (n->type != BP_Y_SEQ)
        return bp_yaml_error(n, err, errlen, "key 'schedules': expected a list, got %s",
                             bp_yaml_type_name(n->type));
    cfg->schedules = calloc(n->n ? n->n : 1, sizeof *cfg->schedules);
    if (!cfg->schedules)
        return bp_yaml_error(n, err, errlen, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        asched_cfg_t *s = &cfg->schedules[i];
        cfg->nschedules = i + 1;
        if (bp_cfg_defaults(asched_table, s, err, errlen) != 0 ||
            bp_cfg_bind(n->items[i], asched_table, s, err, errlen) != 0 ||
            alertcfg_check_schedule(n->items[i], s, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static void alertcfg_free_schedules(void *field)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, schedules));
    for (size_t i = 0; i < cfg->nschedules; i++)
        bp_cfg_free(asched_table, &cfg->schedules[i]);
    free(cfg->schedules);
    cfg->schedules = NULL;
    cfg->nschedules = 0;
}

static const bp_cfg_entry_t aoncall_table[] = {
    {"name", BP_CFG_STR, NULL, offsetof(aoncall_cfg_t, name),
     "rotation name, usable wherever a channel name is", NULL, NULL, NULL, 1},
    {"channels", BP_CFG_STRLIST, NULL, offsetof(aoncall_cfg_t, channels),
     "channels taking turns, in order", NULL, NULL, NULL, 1},
    {"start", BP_CFG_STR, "2026-01-05T09:00:00Z", offsetof(aoncall_cfg_t, start),
     "RFC 3339 time when the first channel's turn began", NULL, NULL, NULL, 0},
    {"shift", BP_CFG_DURATION, "7d", offsetof(aoncall_cfg_t, shift_ms), "length of one turn",
     NULL, NULL, NULL, 0},
    {NULL}};

static int alertcfg_parse_oncall(const bp_ynode_t *n, void *field, char *err, size_t errlen)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, oncall));
    if (n->type != BP_Y_SEQ)
        return bp_yaml_error(n, err, errlen, "key 'oncall': expected a list, got %s",
                             bp_yaml_type_name(n->type));
    cfg->oncall = calloc(n->n ? n->n : 1, sizeof *cfg->oncall);
    if (!cfg->oncall)
        return bp_yaml_error(n, err, errlen, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        aoncall_cfg_t *o = &cfg->oncall[i];
        cfg->noncall = i + 1;
        if (bp_cfg_defaults(aoncall_table, o, err, errlen) != 0 ||
            bp_cfg_bind(n->items[i], aoncall_table, o, err, errlen) != 0)
            return -1;
        if (bp_time_parse_rfc3339(o->start, &o->start_ms) != 0)
            return bp_yaml_error(bp_yaml_get(n->items[i], "start"), err, errlen,
                                 "key 'start': expected an RFC 3339 time, got '%s'", o->start);
        if (o->shift_ms <= 0)
            return bp_yaml_error(n->items[i], err, errlen, "key 'shift': must be positive");
        if (o->channels.n == 0)
            return bp_yaml_error(n->items[i], err, errlen, "key 'channels': must not be empty");
    }
    return 0;
}

static void alertcfg_free_oncall(void *field)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, oncall));
    for (size_t i = 0; i < cfg->noncall; i++)
        bp_cfg_free(aoncall_table, &cfg->oncall[i]);
    free(cfg->oncall);
    cfg->oncall = NULL;
    cfg->noncall = 0;
}

/* ---- silences ---- */

static const bp_cfg_entry_t asilence_table[] = {
    {"brand", BP_CFG_STRLIST, NULL, offsetof(asilence_cfg_t, brand), "brands (any of)", NULL,
     NULL, NULL, 0},
    {"reason", BP_CFG_STRLIST, NULL, offsetof(asilence_cfg_t, reason),
     "reasons (any of; 'urgent' matches 'urgent:fraud')", NULL, NULL, NULL, 0},
    {"author", BP_CFG_STRLIST, NULL, offsetof(asilence_cfg_t, author),
     "author ids or names (any of)", NULL, NULL, NULL, 0},
    {"by", BP_CFG_STR, NULL, offsetof(asilence_cfg_t, by), "who set the silence", NULL, NULL,
     NULL, 1},
    {"why", BP_CFG_STR, NULL, offsetof(asilence_cfg_t, why), "why", NULL, NULL, NULL, 1},
    {"until", BP_CFG_STR, NULL, offsetof(asilence_cfg_t, until), "RFC 3339 expiry", NULL, NULL,
     NULL, 1},
    {NULL}};

static int alertcfg_parse_silences(const bp_ynode_t *n, void *field, char *err, size_t errlen)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, silences));
    if (n->type != BP_Y_SEQ)
        return bp_yaml_error(n, err, errlen, "key 'silences': expected a list, got %s",
                             bp_yaml_type_name(n->type));
    cfg->silences = calloc(n->n ? n->n : 1, sizeof *cfg->silences);
    if (!cfg->silences)
        return bp_yaml_error(n, err, errlen, "out of memory");
    for (size_t i = 0; i < n->n; i++) {
        asilence_cfg_t *s = &cfg->silences[i];
        cfg->nsilences = i + 1;
        s->line = n->items[i]->line;
        if (bp_cfg_defaults(asilence_table, s, err, errlen) != 0 ||
            bp_cfg_bind(n->items[i], asilence_table, s, err, errlen) != 0)
            return -1;
        if (bp_time_parse_rfc3339(s->until, &s->until_ms) != 0)
            return bp_yaml_error(bp_yaml_get(n->items[i], "until"), err, errlen,
                                 "key 'until': expected an RFC 3339 time, got '%s'", s->until);
        if (s->brand.n + s->reason.n + s->author.n == 0)
            return bp_yaml_error(n->items[i], err, errlen,
                                 "a silence needs at least one of brand, reason, author");
    }
    return 0;
}

static void alertcfg_free_silences(void *field)
{
    alert_cfg_t *cfg = (alert_cfg_t *)((char *)field - offsetof(alert_cfg_t, silences));
    for (size_t i = 0; i < cfg->nsilences; i++)
        bp_cfg_free(asilence_table, &cfg->silences[i]);
    free(cfg->silences);
    cfg->silences = NULL;
    cfg->nsilences = 0;
}

/* ---- the top level ---- */

#define T_(key, type, def, field, help) \
    {key, type, def, offsetof(alert_cfg_t, field), help, NULL, NULL, NULL, 0}

static const bp_cfg_entry_t alert_dedup_table[] = {
    T_("size", BP_CFG_INT, "200000", dedup_size, "post ids remembered (persisted in state_dir)"),
    T_("rebuild", BP_CFG_BOOL, "true", dedup_rebuild,
       "when partitions are assigned, learn the post ids other instances handled from "
       "bp.deliveries (so a rebalance repeats nothing)"),
    T_("rebuild_timeout", BP_CFG_DURATION, "10s", dedup_rebuild_timeout_ms,
       "most time spent reading bp.deliveries on an assignment"),
    {NULL}};

static const bp_cfg_entry_t alert_fold_table[] = {
    T_("window", BP_CFG_DURATION, "30m", fold_window_ms,
       "near-duplicates within this time are folded into the first alert"),
    T_("distance", BP_CFG_INT, "-1", fold_distance,
       "most differing SimHash bits (of 64) for a near-duplicate, 3 is a good value; -1 = off"),
    {NULL}};

static const bp_cfg_entry_t alert_incident_table[] = {
    T_("threshold", BP_CFG_INT, "0", incident_threshold,
       "alerts of one brand and reason within `window` that open an incident, e.g. 5 (0 = off)"),
    T_("window", BP_CFG_DURATION, "10m", incident_window_ms, "burst window"),
    T_("samples", BP_CFG_INT, "3", incident_samples, "sample posts shown in an incident"),
    T_("update_every", BP_CFG_DURATION, "1m", incident_update_ms,
       "most frequent incident update per channel"),
    T_("quiet", BP_CFG_DURATION, "30m", incident_quiet_ms,
       "an incident without new alerts for this long is resolved"),
    T_("exempt", BP_CFG_STRLIST, "_ops", incident_exempt,
       "brands whose alerts are never folded nor grouped (bp-watchdog's operational alerts: "
       "each stale feed is its own alert)"),
    {NULL}};

static const bp_cfg_entry_t alert_spike_table[] = {
    T_("factor", BP_CFG_DOUBLE, "0", spike_factor,
       "an hour with this many times a brand's usual alerts for that hour is a spike, e.g. 3 "
       "(0 = off)"),
    T_("min_volume", BP_CFG_INT, "10", spike_min_volume,
       "fewer alerts than this in the hour are never a spike"),
    T_("cooldown", BP_CFG_DURATION, "6h", spike_cooldown_ms, "least time between two spike "
                                                             "incidents of a brand"),
    {NULL}};

static const bp_cfg_entry_t alert_digest_table[] = {
    T_("every", BP_CFG_DURATION, "15m", digest_every_ms, "how often digests are sent"),
    T_("priorities", BP_CFG_STRLIST, NULL, digest_priorities,
       "priorities batched into digests instead of sent one by one, e.g. [low]"),
    {NULL}};

static const bp_cfg_entry_t alert_ack_table[] = {
    T_("listen", BP_CFG_STR, "", ack_listen, "host:port of the acknowledgement API, empty = off"),
    T_("base_url", BP_CFG_STR, "", ack_base_url, "public base URL for acknowledge links"),
    T_("secret", BP_CFG_SECRET, NULL, ack_secret, "link-signing secret: {env: VAR}"),
    T_("port_file", BP_CFG_STR, "", ack_port_file, "write the bound port here (tests)"),
    {NULL}};

static const bp_cfg_entry_t alert_table[] = {
    BP_CFG_COMMON_ENTRIES(offsetof(alert_cfg_t, common)),
    T_("state_dir", BP_CFG_STR, "/var/lib/brandpulse/alert", state_dir,
       "dedup window, retry queue and incident state live here"),
    T_("sla", BP_CFG_DURATION, "7m", sla_ms, "answer deadline counted from published_at"),
    {"dedup", BP_CFG_SECTION, NULL, 0, "dedup by post id", alert_dedup_table, NULL, NULL, 0},
    {"fold", BP_CFG_SECTION, NULL, 0, "near-duplicate folding (SimHash)", alert_fold_table,
     NULL, NULL, 0},
    {"incident", BP_CFG_SECTION, NULL, 0, "bursts into incidents", alert_incident_table, NULL,
     NULL, 0},
    {"spike", BP_CFG_SECTION, NULL, 0, "negative-volume spikes against the usual hourly level",
     alert_spike_table, NULL, NULL, 0},
    {"digest", BP_CFG_SECTION, NULL, 0, "digests of low-priority and rate-limited alerts",
     alert_digest_table, NULL, NULL, 0},
    {"ack", BP_CFG_SECTION, NULL, 0, "acknowledgement HTTP API", alert_ack_table, NULL, NULL, 0},
    {"channels", BP_CFG_CUSTOM, NULL, offsetof(alert_cfg_t, channels),
     "list of channels: {name, type, ...}", NULL, alertcfg_parse_channels,
     alertcfg_free_channels, 1},
    {"routes", BP_CFG_CUSTOM, NULL, offsetof(alert_cfg_t, routes),
     "list of routes: {when, channels, sla, escalate, stop}", NULL, alertcfg_parse_routes,
     alertcfg_free_routes, 1},
    {"schedules", BP_CFG_CUSTOM, NULL, offsetof(alert_cfg_t, schedules),
     "business hours: [{name, tz, days, hours}]", NULL, alertcfg_parse_schedules,
     alertcfg_free_schedules, 0},
    {"oncall", BP_CFG_CUSTOM, NULL, offsetof(alert_cfg_t, oncall),
     "rotations: [{name, channels, start, shift}]", NULL, alertcfg_parse_oncall,
     alertcfg_free_oncall, 0},
    {"silences", BP_CFG_CUSTOM, NULL, offsetof(alert_cfg_t, silences),
     "[{brand, reason, author, by, why, until}]: matching alerts are recorded, not sent", NULL,
     alertcfg_parse_silences, alertcfg_free_silences, 0},
    {NULL}};

#undef T_

int alertcfg_channel_index(const alert_cfg_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nchannels; i++)
        if (strcmp(cfg->channels[i].name, name) == 0)
            return (int)i;
    return -1;
}

const asched_cfg_t *alertcfg_schedule(const alert_cfg_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nschedules; i++)
        if (strcmp(cfg->schedules[i].name, name) == 0)
            return &cfg->schedules[i];
    return NULL;
}

const aoncall_cfg_t *alertcfg_oncall(const alert_cfg_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->noncall; i++)
        if (strcmp(cfg->oncall[i].name, name) == 0)
            return &cfg->oncall[i];
    return NULL;
}

static int alertcfg_check_targets(const alert_cfg_t *cfg, const bp_strlist_t *l, const char *file,
                                  int line, int col, const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; i < l->n; i++)
        if (alertcfg_channel_index(cfg, l->v[i]) < 0 && !alertcfg_oncall(cfg, l->v[i]))
            return bp_seterr(err, errlen,
                             "%s:%d:%d: key '%s': no channel or on-call rotation named '%s'",
                             file, line, col, what, l->v[i]);
    return 0;
}

/* Checks what the tables cannot: cross references between sections. */
static int alertcfg_check(alert_cfg_t *cfg, const char *file, char *err, size_t errlen)
{
    if (cfg->nchannels == 0)
        return bp_seterr(err, errlen, "%s: key 'channels': at least one channel is needed", file);
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const aroute_cfg_t *r = &cfg->routes[i];
        if (alertcfg_check_targets(cfg, &r->channels, file, r->line, r->col, "channels", err,
                                   errlen) != 0)
            return -1;
        for (size_t k = 0; k < r->nescalate; k++)
            if (alertcfg_check_targets(cfg, &r->escalate[k].channels, file, r->line, r->col,
                                       "escalate.channels", err, errlen) != 0)
                return -1;
        const char *s = r->when.schedule;
        if (s[0] && !alertcfg_schedule(cfg, s[0] == '!' ? s + 1 : s))
            return bp_seterr(err, errlen, "%s:%d:%d: key 'when.schedule': no schedule named '%s'",
                             file, r->line, r->col, s[0] == '!' ? s + 1 : s);
    }
    for (size_t i = 0; i < cfg->noncall; i++) {
        const aoncall_cfg_t *o = &cfg->oncall[i];
        for (size_t k = 0; k < o->channels.n; k++)
            if (alertcfg_channel_index(cfg, o->channels.v[k]) < 0)
                return bp_seterr(err, errlen,
                                 "%s: oncall '%s': key 'channels': no channel named '%s'", file,
                                 o->name, o->channels.v[k]);
        if (alertcfg_channel_index(cfg, o->name) >= 0)
            return bp_seterr(err, errlen, "%s: oncall '%s': a channel has the same name", file,
                             o->name);
    }
    if (cfg->incident_threshold < 0 || cfg->incident_threshold > 64)
        return bp_seterr(err, errlen, "%s: key 'incident.threshold': expected 0..64, got %lld",
                         file, cfg->incident_threshold);
    if (cfg->fold_distance > 32)
        return bp_seterr(err, errlen, "%s: key 'fold.distance': expected -1..32, got %lld", file,
                         cfg->fold_distance);
    for (size_t i = 0; i < cfg->nchannels; i++) {
        char terr[256];
        const ach_cfg_t *ch = &cfg->channels[i];
        if (render_check_template(ch->tpl, terr, sizeof terr) != 0 ||
            (ch->tpl_subject && render_check_template(ch->tpl_subject, terr, sizeof terr) != 0))
            return bp_seterr(err, errlen, "%s:%d:%d: channel '%s': %s", file, ch->line, ch->col,
                             ch->name, terr);
    }
    if (cfg->dedup_size <= 0)
        return bp_seterr(err, errlen, "%s: key 'dedup.size': must be positive", file);
    if (!cfg->state_dir || !cfg->state_dir[0])
        return bp_seterr(err, errlen, "%s: key 'state_dir': must not be empty", file);
    if (cfg->ack_listen[0] && !cfg->ack_secret)
        return bp_seterr(err, errlen,
                         "%s: key 'ack.secret': required when ack.listen is set (links are "
                         "signed)",
                         file);
    return 0;
}

int alertcfg_load(const char *path, const char *brokers_override, alert_cfg_t *cfg, char *err,
                  size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (bp_cfg_load(path, alert_table, cfg, &cfg->common, brokers_override, err, errlen) != 0)
        return -1;
    return alertcfg_check(cfg, path ? path : "defaults", err, errlen);
}

int alertcfg_load_string(const char *yaml, alert_cfg_t *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (bp_cfg_defaults(alert_table, cfg, err, errlen) != 0)
        return -1;
    bp_ynode_t *root = bp_yaml_load_string(yaml, strlen(yaml), "test.yaml", err, errlen);
    if (!root)
        return -1;
    int rc = bp_cfg_bind(root, alert_table, cfg, err, errlen);
    bp_yaml_free(root);
    if (rc != 0)
        return -1;
    return alertcfg_check(cfg, "test.yaml", err, errlen);
}

void alertcfg_free(alert_cfg_t *cfg) { bp_cfg_free(alert_table, cfg); }

void alertcfg_print_help(void)
{
    bp_cfg_print_help(alert_table, 2);
    for (size_t i = 0; i < ACH_NTYPES; i++) {
        printf("  channel type %s:\n", ach_types[i].name);
        bp_cfg_print_help(ach_types[i].table, 4);
    }
    printf("  route:\n");
    bp_cfg_print_help(aroute_table, 4);
}
