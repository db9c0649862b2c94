# Reads generated .env files the way Chatwoot does and prints, as JSON, what each consumer gets:
#   ruby chatwoot_reads.rb CABLE_YML [--connect] DIR...
# - Ruby dotenv parses the file (Chatwoot's dotenv-rails);
# - the redis client takes REDIS_PASSWORD when present, else the URL's (form-decoded) password;
# - config/cable.yml goes through ERB and a YAML load (ActionCable's view of the password);
# - with --connect, the redis gem connects with Chatwoot's options and sends PING.
require 'dotenv'
require 'uri'
require 'erb'
require 'yaml'
require 'json'
require 'openssl'

# ActiveSupport's presence: nil when blank (a whitespace-only string is blank too).
class Object
  def presence
    respond_to?(:empty?) && empty? ? nil : self
  end
end

class String
  def presence
    match?(/\A[[:space:]]*\z/) ? nil : self
  end
end

class NilClass
  def presence
    nil
  end
end

module Rails
  def self.env
    'production'
  end
end

module Chatwoot
  def self.redis_ssl_verify_mode
    ENV['REDIS_OPENSSL_VERIFY_MODE'] == 'none' ? OpenSSL::SSL::VERIFY_NONE : OpenSSL::SSL::VERIFY_PEER
  end
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
  uri = URI.parse(url)
  url_password = uri.password && URI.decode_www_form_component(uri.password)
  url_user = uri.user && !uri.user.empty? && uri.password ? URI.decode_www_form_component(uri.user) : nil
  client_password = ENV.fetch('REDIS_PASSWORD', nil).presence || url_password
  cable = YAML.load(ERB.new(File.read(cable_yml)).result, aliases: true)['production']
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
