# The Redis options Chatwoot's Redis::Config (lib/redis/config.rb, Chatwoot 4.x) derives from an
# environment, for environments given as JSON on stdin ([{"KEY": "value", …}, …]); prints one
# JSON object per environment:
#   {"sentinel": false, "url": …, "password": …}
#   {"sentinel": true, "url": "redis://MASTER", "password": …,
#    "sentinels": [{"host": …, "port": …, "password": …}, …]}
# The rules (chatwoot-redis-facts §1, §3): REDIS_PASSWORD counts only when not blank;
# REDIS_URL defaults only when unset; a non-blank REDIS_SENTINELS switches Sentinel mode on:
# it is split on ',' (Ruby drops trailing empty fields), each entry on ':' with both parts
# stripped, port 26379 when absent; the master is REDIS_SENTINEL_MASTER_NAME, 'mymaster' only
# when unset; each sentinel gets REDIS_SENTINEL_PASSWORD when set (even empty), else the Redis
# password, and no password at all when that is blank.
require 'json'

def blank?(value)
  value.nil? || value.match?(/\A[[:space:]]*\z/)
end

def presence(value)
  blank?(value) ? nil : value
end

results = JSON.parse($stdin.read).map do |env|
  password = presence(env['REDIS_PASSWORD'])
  if presence(env['REDIS_SENTINELS'])
    sentinel_password = env.key?('REDIS_SENTINEL_PASSWORD') ? env['REDIS_SENTINEL_PASSWORD'] : password
    sentinels = env['REDIS_SENTINELS'].split(',').map do |entry|
      host, port = entry.split(':').map(&:strip)
      sentinel = { 'host' => host, 'port' => port || '26379' }
      sentinel['password'] = sentinel_password unless blank?(sentinel_password)
      sentinel
    end
    { 'sentinel' => true,
      'url' => "redis://#{env.fetch('REDIS_SENTINEL_MASTER_NAME', 'mymaster')}",
      'password' => password,
      'sentinels' => sentinels }
  else
    { 'sentinel' => false,
      'url' => env.fetch('REDIS_URL', 'redis://127.0.0.1:6379'),
      'password' => password }
  end
end
puts JSON.generate(results)
