# The parts of Rails and Chatwoot that config/cable.yml's ERB and Chatwoot's Redis code call,
# as the test scripts need them (ActiveSupport's `presence`, `Rails.env`,
# `Chatwoot.redis_ssl_verify_mode`).
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
