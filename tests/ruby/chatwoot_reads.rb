# Reads generated .env files the way Chatwoot does and prints, as JSON, what each consumer gets:
#   ruby chatwoot_reads.rb CABLE_YML [--connect] DIR...
#   ruby chatwoot_reads.rb --urls < urls.json      (redis-client's reading of each URL)
#
# Which parts model Chatwoot's own code, and which are the real libraries:
# - real library: Ruby dotenv parses the file (Debian's ruby-dotenv 2.4, not Chatwoot's
#   pinned 3.1.2: the Rust reader is held to 3.1.2 by the recorded reader cases instead);
# - model of Chatwoot's code (config/initializers/redis.rb and lib/redis/config.rb): the
#   redis client takes REDIS_PASSWORD when present (Rails' `presence`), else the URL's;
# - model of redis-client's `RedisClient::URLConfig` and `Config` defaults (`client_url`
#   below, over the installed Ruby's real URI): the URL's scheme, host, port, path, user
#   (only with a password), form-decoded password (a lone `secret@` is the password) and db.
#   tests/integration/readers.rs checks it against the recorded redis-client cases;
# - model of Rails' `config_for` (config/cable.yml, ActionCable's view of the password): the
#   real template goes through ERB and `YAML.unsafe_load` (real Psych);
# - with --connect, the real redis gem connects with Chatwoot's options and sends PING.
require 'dotenv'
require 'uri'
require 'erb'
require 'yaml'
require 'json'
require 'openssl'

require_relative 'rails_stubs'

# redis-client's URLConfig (0.22-0.30) and Config defaults, over Ruby's URI.
def client_url(url)
  uri = URI(url)
  ssl = false
  unix = false
  case uri.scheme&.downcase
  when 'redis' then nil
  when 'rediss' then ssl = true
  when 'unix', nil then unix = true
  else raise ArgumentError, "Unknown URL scheme: #{url.inspect}"
  end
  db = nil
  unless unix
    db_path = uri.path&.delete_prefix('/')
    db = Integer(db_path) if db_path && !db_path.empty?
  end
  if db.nil? && !(uri.query.nil? || uri.query.empty?)
    _, db_query = URI.decode_www_form(uri.query).find { |key, _| key == 'db' }
    db = Integer(db_query) if db_query && !db_query.empty?
  end
  password = if uri.user && !uri.password
               URI.decode_www_form_component(uri.user)
             elsif uri.user && uri.password
               URI.decode_www_form_component(uri.password)
             end
  host = uri.host.nil? || uri.host.empty? ? nil : uri.host.sub(/\A\[(.*)\]\z/, '\1')
  {
    'host' => unix ? nil : (host || 'localhost'),
    'port' => unix ? nil : Integer(uri.port || 6379),
    'path' => unix ? File.join(*[uri.host, uri.path].compact) : nil,
    'username' => (uri.password && !uri.user.empty? ? uri.user : nil) || 'default',
    'password' => password,
    'db' => db || 0,
    'ssl' => ssl
  }
end

if ARGV.first == '--urls'
  out = JSON.parse($stdin.read).map do |url|
    view = client_url(url)
    pw = view['password']
    if pw && !pw.dup.force_encoding('UTF-8').valid_encoding?
      view['password'] = "<non-UTF-8 bytes: #{pw.bytes.map { |b| format('%02x', b) }.join(' ')}>"
    elsif pw
      view['password'] = pw.dup.force_encoding('UTF-8')
    end
    view
  rescue StandardError => e
    { 'error' => "#{e.class}: #{e.message}" }
  end
  puts JSON.generate(out)
  exit
end

cable_yml = ARGV.shift
connect = ARGV.first == '--connect' && ARGV.shift
redis_keys = %w[REDIS_URL REDIS_PASSWORD REDIS_SENTINELS REDIS_SENTINEL_MASTER_NAME
                REDIS_SENTINEL_PASSWORD REDIS_OPENSSL_VERIFY_MODE REDIS_DISABLE_CLIENT_COMMAND
                REDIS_ALFRED_SIZE REDIS_VELMA_SIZE]
require 'redis' if connect

results = ARGV.map do |dir|
  redis_keys.each { |k| ENV.delete(k) }
  parsed = Dotenv::Environment.new(File.join(dir, '.env'), true)
  parsed.each { |k, v| ENV[k] = v }
  url = ENV.fetch('REDIS_URL', 'redis://127.0.0.1:6379')
  view = client_url(url)
  url_password = view['password']
  url_user = view['username'] == 'default' ? nil : view['username']
  client_password = ENV.fetch('REDIS_PASSWORD', nil).presence || url_password
  cable = YAML.unsafe_load(ERB.new(File.read(cable_yml)).result)['production']
  cable_password = cable['password'] || url_password
  result = {
    'dir' => dir,
    'env' => parsed,
    'client_password' => client_password,
    'client_user' => url_user,
    'cable_password' => cable_password,
    'cable_password_class' => cable['password'].class.name,
    'cable_url' => cable['url'],
    'alfred' => Integer(ENV.fetch('REDIS_ALFRED_SIZE', 5)),
    'velma' => Integer(ENV.fetch('REDIS_VELMA_SIZE', 10))
  }
  if connect
    begin
      r = Redis.new(url: url, password: ENV.fetch('REDIS_PASSWORD', nil).presence,
                    ssl_params: { verify_mode: Chatwoot.redis_ssl_verify_mode },
                    reconnect_attempts: 0, timeout: 2)
      result['ping'] = r.ping
      r.close
    rescue StandardError => e
      result['ping'] = "#{e.class}: #{e.message}"
    end
  end
  result
end
puts JSON.generate(results)
