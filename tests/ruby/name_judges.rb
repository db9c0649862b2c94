# What the system resolver and Ruby's URI make of host names and Sentinel master names, judged
# by the real programs, for values given as JSON on stdin ({"hosts": […], "masters": […]}):
#   ruby name_judges.rb < values.json
# Prints JSON: {"hosts": [{"resolver_name", "ipv6", "ipv4", "url_host"}, …],
#              "masters": [{"url_host"}, …]}
# - resolver_name: glibc's own host name check, res_hnok() (through Fiddle), the one
#   getaddrinfo applies to names; false for the root ("" or "."), which names no host, and
#   for a backslash, which the resolver reads as an escape (another name);
# - ipv6: glibc's getaddrinfo() takes the text as a numeric IPv6 address (AI_NUMERICHOST);
# - ipv4: the IPv4 address getaddrinfo() reads the text as before any name lookup
#   (AI_NUMERICHOST: inet_aton's forms, `0777` is 0.0.1.255), or null;
# - url_host (hosts): the host Chatwoot's client reads from redis://HOST:6379 (an IPv6 address
#   in brackets), as redis-client's URLConfig#host takes it from Ruby's URI: brackets
#   removed, nothing decoded; null when URI refuses the URL or the host is empty;
# - url_host (masters): the same for redis://NAME, which Chatwoot's Redis::Config builds from
#   REDIS_SENTINEL_MASTER_NAME; the client asks the sentinels for that host.
require 'fiddle'
require 'json'
require 'socket'
require 'uri'

RES_HNOK = Fiddle::Function.new(Fiddle.dlopen(nil)['res_hnok'], [Fiddle::TYPE_VOIDP], Fiddle::TYPE_INT)

def resolver_name?(host)
  return false if host.empty? || host == '.' || host.include?('\\') || host.include?("\0")

  RES_HNOK.call(host) == 1
end

def ipv6?(host)
  !Addrinfo.getaddrinfo(host, nil, Socket::AF_INET6, :STREAM, nil, Socket::AI_NUMERICHOST).empty?
rescue SocketError
  false
end

def ipv4(host)
  Addrinfo.getaddrinfo(host, nil, Socket::AF_INET, :STREAM, nil, Socket::AI_NUMERICHOST).first&.ip_address
rescue SocketError
  nil
end

def url_host(url)
  host = URI(url).host
  return nil if host.nil? || host.empty?

  host.sub(/\A\[(.*)\]\z/, '\1')
rescue URI::Error
  nil
end

input = JSON.parse($stdin.read)
hosts = input.fetch('hosts').map do |h|
  v6 = ipv6?(h)
  {
    'resolver_name' => resolver_name?(h),
    'ipv6' => v6,
    'ipv4' => ipv4(h),
    'url_host' => url_host("redis://#{v6 ? "[#{h}]" : h}:6379")
  }
end
masters = input.fetch('masters').map { |n| { 'url_host' => url_host("redis://#{n}") } }
puts JSON.generate('hosts' => hosts, 'masters' => masters)
