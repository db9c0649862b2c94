# Connects to Redis through Sentinel from a generated .env, the way Chatwoot does:
#   ruby sentinel_connect.rb ENV_FILE
# - real library: Ruby dotenv reads the file, the redis gem (Debian's 4.8) asks the sentinels
#   for the master and connects to it;
# - model of Chatwoot's code: lib/redis/config.rb (Chatwoot 4.x) builds the options, the same
#   rules as chatwoot_sentinels.rb (REDIS_PASSWORD only when not blank, master
#   redis://REDIS_SENTINEL_MASTER_NAME, each sentinel gets REDIS_SENTINEL_PASSWORD when set,
#   else the Redis password, none when that is blank).
# Prints JSON: the master's port as the client connected to it, and a SET/GET round trip.
require 'dotenv'
require 'redis'
require 'json'

def blank?(value)
  value.nil? || value.match?(/\A[[:space:]]*\z/)
end

env = Dotenv::Parser.call(File.read(ARGV.fetch(0)))
password = blank?(env['REDIS_PASSWORD']) ? nil : env['REDIS_PASSWORD']
raise 'not a Sentinel environment' if blank?(env['REDIS_SENTINELS'])

sentinel_password = env.key?('REDIS_SENTINEL_PASSWORD') ? env['REDIS_SENTINEL_PASSWORD'] : password
sentinels = env['REDIS_SENTINELS'].split(',').map do |entry|
  host, port = entry.split(':').map(&:strip)
  sentinel = { host: host, port: Integer(port || '26379') }
  sentinel[:password] = sentinel_password unless blank?(sentinel_password)
  sentinel
end
config = {
  url: "redis://#{env.fetch('REDIS_SENTINEL_MASTER_NAME', 'mymaster')}",
  password: password,
  sentinels: sentinels,
  reconnect_attempts: 2,
  timeout: 2
}
redis = Redis.new(**config)
redis.set('chatwoot-redis:sentinel', 'ok')
puts JSON.generate(
  'master_port' => redis.connection[:port],
  'get' => redis.get('chatwoot-redis:sentinel'),
  'sentinels' => sentinels.size,
  'sentinel_password_sent' => sentinels.all? { |s| s.key?(:password) }
)
