# Chatwoot's two kinds of Redis clients through a failover, from one pod's environment (JSON on
# argv[0], the REDIS_* variables with the cluster's host names already mapped to loopback):
# - a writer in Sentinel mode, configured as Chatwoot's Redis::Config configures it (facts §1,
#   the rules of chatwoot_sentinels.rb): redis://MASTER, the sentinels from REDIS_SENTINELS, the
#   password from REDIS_PASSWORD; it RPUSHes numbers, each acknowledged once a replica has it too
#   (WAIT 1), and labelled with the phase it was acknowledged in: before the failover, during it
#   (the old master still accepting writes after a replica was promoted: Redis replication is
#   asynchronous, so any Sentinel failover can drop these; they are counted, not hidden), after
#   the old master died;
# - an ActionCable-like subscriber and publisher on REDIS_URL (cable.yml: url REDIS_URL, password
#   REDIS_PASSWORD), which ignore Sentinel, as ActionCable does; both reconnect after an error.
# Protocol on stdin/stdout: prints "ready" once a message went through; reads "mark PORT" (the
# proxy routes to the new master on PORT), then publishes numbered messages, waits for them and
# prints one JSON report. Every step has a deadline.
require 'json'
require 'redis'

env = JSON.parse(ARGV.fetch(0))
password = env['REDIS_PASSWORD'].to_s.strip.empty? ? nil : env['REDIS_PASSWORD']
sentinel_password = env.key?('REDIS_SENTINEL_PASSWORD') ? env['REDIS_SENTINEL_PASSWORD'] : password
sentinels = env.fetch('REDIS_SENTINELS').split(',').map do |entry|
  host, port = entry.split(':').map(&:strip)
  s = { host: host, port: Integer(port || '26379') }
  s[:password] = sentinel_password unless sentinel_password.to_s.strip.empty?
  s
end
master = env.fetch('REDIS_SENTINEL_MASTER_NAME', 'mymaster')
cable_url = env.fetch('REDIS_URL')
$stdout.sync = true

def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

lock = Mutex.new
state = { acked: [], unreplicated: [], write_errors: 0, received: [], subscriptions: 0,
          publish_errors: 0, stop: false, phase: :before }

writer = Thread.new do
  redis = Redis.new(url: "redis://#{master}", sentinels: sentinels, role: :master,
                    password: password, timeout: 1, reconnect_attempts: 0)
  i = 0
  until lock.synchronize { state[:stop] }
    begin
      redis.rpush('failover:writes', i)
      replicas = redis.wait(1, 500)
      lock.synchronize do
        (replicas >= 1 ? state[:acked] : state[:unreplicated]) << [i, state[:phase]]
      end
      i += 1
      sleep 0.01
    rescue Redis::BaseError
      lock.synchronize { state[:write_errors] += 1 }
      begin
        redis.close
      rescue StandardError
        nil
      end
      sleep 0.05
    end
  end
end

subscriber = Thread.new do
  until lock.synchronize { state[:stop] }
    begin
      Redis.new(url: cable_url, password: password, timeout: 1).subscribe('cable') do |on|
        on.subscribe { lock.synchronize { state[:subscriptions] += 1 } }
        on.message do |_, msg|
          lock.synchronize { state[:received] << msg }
          raise StopIteration if lock.synchronize { state[:stop] }
        end
      end
    rescue StopIteration
      break
    rescue Redis::BaseError, IOError, SystemCallError
      sleep 0.05
    end
  end
end

publisher = Redis.new(url: cable_url, password: password, timeout: 1)
publish = lambda do |msg|
  publisher.publish('cable', msg)
rescue Redis::BaseError
  lock.synchronize { state[:publish_errors] += 1 }
  begin
    publisher.close
  rescue StandardError
    nil
  end
  nil
end

# Warm-up: a message has gone from publisher to subscriber.
deadline = now + 20
n = 0
until lock.synchronize { state[:received].include?("warm-#{n - 1}") }
  abort 'no message reached the subscriber before the failover' if now > deadline
  publish.call("warm-#{n}")
  n += 1
  sleep 0.05
end
lock.synchronize { puts 'ready' }

# During the failover: keep publishing, as Chatwoot would. Rust says "failover" before it sends
# SENTINEL FAILOVER and "killed" once the old master is dead (each confirmed on stdout), then
# "mark PORT" when the proxy routes to the new master on PORT.
during = 0
commands = Queue.new
reader = Thread.new do
  while (line = $stdin.gets)
    commands << line.split
  end
  commands << ['eof']
end
mark = nil
until mark
  until commands.empty?
    cmd, arg = commands.pop
    case cmd
    when 'failover', 'killed'
      lock.synchronize { state[:phase] = cmd.to_sym }
      lock.synchronize { puts "phase #{cmd}" }
    when 'mark' then mark = Integer(arg)
    else abort "unexpected #{cmd.inspect} on stdin"
    end
  end
  publish.call("during-#{during}")
  during += 1
  sleep 0.02
end

# After recovery: the publisher's connection is a fresh one through the proxy, on the new master.
publisher.close
port = publisher.info('server')['tcp_port'].to_i
subscribed_deadline = now + 10
subscribed = lock.synchronize { state[:subscriptions] }
# The subscriber is on the new master once a message published there reaches it.
probe = 0
loop do
  publish.call("probe-#{probe}")
  break if lock.synchronize { state[:received].include?("probe-#{probe}") }
  abort 'the subscriber did not come back after the failover' if now > subscribed_deadline
  probe += 1
  sleep 0.05
end
after = (0...100).map { |k| "after-#{k}" }
receivers = after.map do |msg|
  r = publish.call(msg)
  sleep 0.01
  r
end
deadline = now + 5
sleep 0.05 until now > deadline || lock.synchronize { (after - state[:received]).empty? }
# The writer goes on until the new master's remaining replica has caught up with it.
deadline = now + 15
sleep 0.05 until now > deadline || lock.synchronize { state[:acked].count { |_, ph| ph == :killed } >= 5 }
lock.synchronize { state[:stop] = true }
publish.call('stop')
writer.join(5)
subscriber.join(2)
report = lock.synchronize do
  { mark_port: mark, publisher_port: port, subscriptions_before_mark: subscribed,
    acked: state[:acked].map { |i, phase| { 'n' => i, 'phase' => phase } },
    unreplicated: state[:unreplicated].map { |i, phase| { 'n' => i, 'phase' => phase } },
    write_errors: state[:write_errors],
    publish_errors: state[:publish_errors], published_during: during,
    received_during: state[:received].count { |m| m.start_with?('during-') },
    published_after: after, publish_receivers_after: receivers,
    missing_after: after - state[:received] }
end
puts JSON.generate(report)
