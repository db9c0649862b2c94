# What ActionCable gets as `password` from Chatwoot's config/cable.yml for each REDIS_PASSWORD:
#   ruby cable_yaml.rb CABLE_YML < passwords.json > verdicts.json
# Models Chatwoot's own read: Rails' `config_for` renders the file with ERB and loads it with
# `YAML.unsafe_load` (ActiveSupport::ConfigurationFile); the ERB line is
# `password: <%= ENV.fetch('REDIS_PASSWORD', nil).presence %>`. Each verdict holds the loaded
# class ("error" for a Psych exception: Chatwoot does not boot), whether it is the same String,
# and whether the redis client would still send the same bytes (Integer/Float/Symbol#to_s).
require 'erb'
require 'yaml'
require 'json'
require 'openssl'

require_relative 'rails_stubs'

template = ERB.new(File.read(ARGV.fetch(0)))
passwords = JSON.parse($stdin.read)
verdicts = passwords.map do |pw|
  ENV['REDIS_PASSWORD'] = pw
  begin
    v = YAML.unsafe_load(template.result)['production']['password']
    sends = case v
            when String, Symbol, Integer, Float then v.to_s
            end
    { 'class' => v.class.name, 'same' => v.is_a?(String) && v == pw, 'effective_same' => sends == pw }
  rescue StandardError, Psych::Exception => e
    { 'class' => 'error', 'same' => false, 'effective_same' => false, 'error' => e.class.name }
  end
end
puts JSON.generate(verdicts)
