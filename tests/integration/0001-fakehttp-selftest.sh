#!/usr/bin/env bash
# The scriptable HTTP test server itself: routes, sequences, delays, recording, control API.
source "$(dirname "$0")/lib.sh"
bash "$BP_ROOT/tests/data/fakehttp/selftest.sh" "$BP_TOOLS/bp-fakehttp"
