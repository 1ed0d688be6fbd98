#!/usr/bin/env bash
# The README's walkthrough, runnable: takes a child from submission to enrolment, and another to the
# stop-list and back, on a local runner (`cargo run --release -p kezek-local -- --port 3000`).
# Usage: scripts/walkthrough.sh [BASE_URL]. Needs curl and python3. Exits non-zero on any surprise.
set -euo pipefail
B=${1:-http://127.0.0.1:3000}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
expect() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'" >&2; exit 1; }; }

# 1. Business time: 1 June 2026, 10:00 in Astana (the dev clock moves business time only).
curl -sf -X PUT $B/v1/dev/clock -d '{"now":"2026-06-01T10:00:00+05:00"}' >/dev/null

# 2. Log in: a parent (IIN 900101300007) and an operator of Kokshetau (dev login, local only).
PARENT=$(curl -sf $B/v1/dev/login -d '{"iin":"900101300007"}' | json 'd["token"]')
OPERATOR=$(curl -sf $B/v1/dev/login -d '{"iin":"850505300001","role":"operator","districts":["KOK"]}' | json 'd["token"]')

# 2b. Or log in as a parent does: a one-time code by SMS (here: read from the dev outbox), then
#     the code for a session. The first login asks for an e-mail address.
curl -sf $B/v1/auth/otp -d '{"iin":"900101300007","phone":"+7 701 123 45 67"}' | json 'd["expires_at"]'
CODE=$(curl -sf $B/v1/dev/outbox | json '__import__("re").search(r"\b(\d{6})\b", [m for m in d if m["channel"]=="sms"][-1]["body"]).group(1)')
LOGIN=$(curl -sf $B/v1/auth/otp/verify -d "{\"iin\":\"900101300007\",\"phone\":\"+77011234567\",\"code\":\"$CODE\"}")
expect "$(echo "$LOGIN" | json 'd["role"], d["email_required"]')" "parent True"
PARENT=$(echo "$LOGIN" | json 'd["token"]')

# 3. Register a child born 15 March 2023 (IIN 230315500002) in Kokshetau's queue.
APP=$(curl -sf $B/v1/applications -H "Authorization: Bearer $PARENT" -H 'Accept-Language: ru' \
  -d '{"district":"KOK","child_iin":"230315500002","email":"parent@example.kz","phone":"+7 701 123 45 67","language":"ru"}')
ID=$(echo "$APP" | json 'd["id"]')
echo "registered $(echo "$APP" | json 'd["registration_number"], d["status"], d["queue"]')"

# 4. The operator starts a voucher run for Kokshetau, age group 3.
curl -sf $B/v1/admin/voucher-runs -H "Authorization: Bearer $OPERATOR" -d '{"district":"KOK","age_group":3}' | json 'd["offered"]'
STATUS=$(curl -sf $B/v1/applications/$ID -H "Authorization: Bearer $PARENT" | json 'd["status"]')
expect "$STATUS" voucher_offered

# 5. The parent confirms interest (by the end of the 2nd working day) ...
curl -sf -X POST $B/v1/applications/$ID/voucher/confirm -H "Authorization: Bearer $PARENT" | json 'd["voucher"]["choose_by"]'

# 6. ... and chooses a kindergarten with a free place for age group 3.
KG=$(curl -sf "$B/v1/kindergartens?district=KOK&age_group=3" | json 'd[0]["id"]')
STATUS=$(curl -sf $B/v1/applications/$ID/kindergarten -H "Authorization: Bearer $PARENT" -d "{\"kindergarten_id\":\"$KG\"}" | json 'd["status"]')
expect "$STATUS" enrolled
curl -sf $B/v1/applications/$ID/history -H "Authorization: Bearer $PARENT" | json '[h["action"] for h in d]'

# 7. A second child (IIN 230420600000) gets a voucher but the parent does not confirm in time.
APP2=$(curl -sf $B/v1/applications -H "Authorization: Bearer $PARENT" \
  -d '{"district":"KOK","child_iin":"230420600000","email":"parent@example.kz","phone":"+77011234567"}')
ID2=$(echo "$APP2" | json 'd["id"]')
curl -sf $B/v1/admin/voucher-runs -H "Authorization: Bearer $OPERATOR" -d '{"district":"KOK","age_group":3}' >/dev/null
CONFIRM_BY=$(curl -sf $B/v1/applications/$ID2 -H "Authorization: Bearer $PARENT" | json 'd["voucher"]["confirm_by"]')
echo "confirm by $CONFIRM_BY"

# 8. Time passes the deadline; moving the clock runs the sweeps: the offer lapses to the stop-list.
curl -sf -X PUT $B/v1/dev/clock -d '{"now":"2026-06-05T09:00:00+05:00"}' >/dev/null
A2=$(curl -sf $B/v1/applications/$ID2 -H "Authorization: Bearer $PARENT")
expect "$(echo "$A2" | json 'd["status"]')" stop_listed
echo "restore by $(echo "$A2" | json 'd["stop_list"]["restore_by"]')"

# 9. The parent restores it (once, within 28 days): back in the queue with the original position.
A2=$(curl -sf -X POST $B/v1/applications/$ID2/restore -H "Authorization: Bearer $PARENT")
expect "$(echo "$A2" | json 'd["status"]')" queued
echo "back in the queue at position $(echo "$A2" | json 'd["queue"]["position"]')"

# 10. Queue transparency: the second child's moves with their reasons (registered, out with the
#     voucher, back with the restore), anyone's check of its number, and the district's run log.
expect "$(curl -sf $B/v1/applications/$ID2/queue-history -H "Authorization: Bearer $PARENT" | json 'd[0]["reason"], "left_queue" in [m["reason"] for m in d], d[-1]["reason"], d[-1]["to_position"] is not None')" \
  "registered True restored True"
NUMBER2=$(echo "$A2" | json 'd["registration_number"]')
NUMBER2_URL=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))" "$NUMBER2")
expect "$(curl -sf "$B/v1/public/queue/$NUMBER2_URL" | json 'd["status"], "position" in d, "child" in d')" "queued True False"
echo "run log: $(curl -sf "$B/v1/public/voucher-runs?district=KOK" | json 'len(d["entries"])') entries"

# 11. Every e-mail and SMS "sent", in the parent's language.
curl -sf $B/v1/dev/outbox | json '"\n".join(m["channel"] + " " + m["to"] + ": " + (m["subject"] or m["body"][:70]) for m in d)'
echo "walkthrough ok"
