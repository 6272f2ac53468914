//! The Lua scripts team mode runs in Redis. Each is one atomic step, so no
//! other member sees half of it: forwarding a batch of the outbox (and
//! remembering how far, so a retry after a crash adds nothing twice),
//! taking, renewing and giving back a lease, and a leased source's commit
//! (log entries, item versions and checkpoint, only while its lease and
//! fencing token still hold).

use redis::Script;
use std::sync::OnceLock;

/// KEYS: log, forwarded, instances, correlation (the `default` project's
/// latest settings; other projects' are in the hash `correlation:projects`).
/// ARGV: member, count, then
/// 8 per row: outbox id, kind, instance, connector (the op of an instance
/// row), project, time, headers, body. Rows at or below what this member
/// already forwarded are skipped. Returns how many were added.
pub fn forward() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| {
        Script::new(
            r#"
local member = ARGV[1]
local done = tonumber(redis.call('HGET', KEYS[2], member) or '0')
local added = 0
for j = 0, tonumber(ARGV[2]) - 1 do
  local a = 3 + j * 8
  local oid = tonumber(ARGV[a])
  if oid > done then
    local kind = ARGV[a + 1]
    if kind == 'raw' then
      redis.call('XADD', KEYS[1], '*', 'k', 'raw', 'm', member, 'n', ARGV[a], 'i', ARGV[a + 2],
        'c', ARGV[a + 3], 'p', ARGV[a + 4], 't', ARGV[a + 5], 'h', ARGV[a + 6], 'b', ARGV[a + 7])
    elseif kind == 'decision' then
      redis.call('XADD', KEYS[1], '*', 'k', kind, 'm', member, 'n', ARGV[a], 't', ARGV[a + 5], 'd', ARGV[a + 7])
    elseif kind == 'settings' then
      local project = ARGV[a + 4]
      if project == '' then project = 'default' end
      redis.call('XADD', KEYS[1], '*', 'k', kind, 'm', member, 'n', ARGV[a], 'p', project, 't', ARGV[a + 5], 'd', ARGV[a + 7])
      if project == 'default' then
        redis.call('SET', KEYS[4], ARGV[a + 7])
      else
        redis.call('HSET', KEYS[4] .. ':projects', project, ARGV[a + 7])
      end
    elseif kind == 'instance' then
      if ARGV[a + 3] == 'delete' then
        redis.call('XADD', KEYS[1], '*', 'k', 'instance', 'm', member, 'n', ARGV[a], 'x', ARGV[a + 2], 'o', 'delete')
        redis.call('HDEL', KEYS[3], ARGV[a + 2])
      else
        redis.call('XADD', KEYS[1], '*', 'k', 'instance', 'm', member, 'n', ARGV[a], 'x', ARGV[a + 2],
          'o', 'upsert', 'd', ARGV[a + 7])
        redis.call('HSET', KEYS[3], ARGV[a + 2], ARGV[a + 7])
      end
    end
    done = oid
    added = added + 1
  end
end
redis.call('HSET', KEYS[2], member, done)
return added
"#,
        )
    })
}

/// KEYS: lease, fence. ARGV: member id, TTL ms. Takes a free lease with
/// `SET NX PX` and gives it the next fencing token; returns the token, or
/// nil when someone holds it.
pub fn acquire() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| {
        Script::new(
            r#"
if redis.call('SET', KEYS[1], 'taking', 'NX', 'PX', ARGV[2]) then
  local t = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. t, 'PX', ARGV[2])
  return t
end
return false
"#,
        )
    })
}

/// KEYS: lease. ARGV: value, TTL ms. Extends the lease if it is still ours
/// (1), else 0.
pub fn renew() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| {
        Script::new(
            r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"#,
        )
    })
}

/// KEYS: lease. ARGV: value. Gives the lease back if it is still ours.
pub fn release() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| {
        Script::new(
            r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#,
        )
    })
}

/// KEYS: lease, log, state, versions prefix. ARGV: lease value, token,
/// member, instance, project, time, payload count, 3 per payload
/// (connector, headers, body), version count, 3 per version (stream, key,
/// value), checkpoint (`''`: none). Refused (`lease`, `fence`) unless the
/// lease is still this holder's and no later holder wrote the state; then
/// all of it at once, `ok`.
pub fn commit() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| {
        Script::new(
            r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lease' end
local fence = tonumber(redis.call('HGET', KEYS[3], 'fence') or '0')
if fence > tonumber(ARGV[2]) then return 'fence' end
local a = 8
for j = 1, tonumber(ARGV[7]) do
  redis.call('XADD', KEYS[2], '*', 'k', 'raw', 'm', ARGV[3], 'i', ARGV[4], 'c', ARGV[a],
    'p', ARGV[5], 't', ARGV[6], 'h', ARGV[a + 1], 'b', ARGV[a + 2])
  a = a + 3
end
local m = tonumber(ARGV[a])
a = a + 1
for j = 1, m do
  redis.call('HSET', KEYS[4] .. ARGV[a], ARGV[a + 1], ARGV[a + 2])
  a = a + 3
end
if ARGV[a] ~= '' then
  redis.call('HSET', KEYS[3], 'checkpoint', ARGV[a], 'fence', ARGV[2])
else
  redis.call('HSET', KEYS[3], 'fence', ARGV[2])
end
return 'ok'
"#,
        )
    })
}

/// KEYS: lease, log. ARGV: lease value, member, instance, packed objects.
/// A watched cluster's topology, from the lease's holder only.
pub fn topology() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| {
        Script::new(
            r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lease' end
redis.call('XADD', KEYS[2], '*', 'k', 'topology', 'm', ARGV[2], 'i', ARGV[3], 'b', ARGV[4])
return 'ok'
"#,
        )
    })
}
