/**
 * The one write, as a Lua script so it is atomic: drop expired members,
 * add the new ones (GT: a member already there only ever gets a later
 * expiry), set the key's TTL to its latest member's expiry, publish.
 *
 * KEYS[1] the sorted set; ARGV[1] now (epoch ms), ARGV[2] the channel,
 * ARGV[3] the message, then (expiresAt, member) pairs.
 */
export const ADD_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for i = 4, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'GT', ARGV[i], ARGV[i + 1])
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return #ARGV
`;

/**
 * member → score from `ZRANGE … WITHSCORES`: a flat [member, score, …]
 * list over RESP2, [[member, score], …] over RESP3. Anything else is empty.
 */
export function parseScoredMembers(reply: unknown): Map<string, number> {
  const scored = new Map<string, number>();
  if (!Array.isArray(reply)) return scored;
  const add = (member: unknown, score: unknown) => {
    const value = typeof score === "number" ? score : Number(score);
    if (typeof member === "string" && Number.isFinite(value)) scored.set(member, value);
  };
  if (reply.every((item) => Array.isArray(item))) for (const [member, score] of reply as unknown[][]) add(member, score);
  else for (let i = 0; i + 1 < reply.length; i += 2) add(reply[i], reply[i + 1]);
  return scored;
}
