#!/usr/bin/perl
# Baton's fencing watchdog (docs/failure-modes.md §12). The agent starts it beside itself on the
# primary, in a session of its own (setsid), and feeds it heartbeats on its standard input; with
# --listen it is the watchdog service of its own unit (deploy/systemd/baton-watchdog.service) and
# reads the same lines from one agent at a time over a Unix socket.
#
# Input, one command per line:
#   arm <remaining-millis> [<deadline-nanos>]  this node holds the leader lease for at least
#       remaining-millis more. The optional second field is the same deadline on CLOCK_MONOTONIC
#       (Java's System.nanoTime(), which the agent and this process share); when present the
#       earlier of the two counts, so that a heartbeat delayed on its way never extends the deadline.
#   disarm  not the primary any more (demotion, pause, shutdown).
#   exit    disarm and exit 0.
#
# Rules: armed, and the deadline passes without a newer arm: fence (once), then stay disarmed and
# keep listening, since the agent may come back. Woken more than 1 s past the deadline (this
# process was frozen), it first waits up to 200 ms for input the agent wrote meanwhile and applies
# it before it decides. End of input (the agent's process is gone, e.g. SIGKILL) while armed: fence
# at once, exit 1. End of input while disarmed: exit 0 quietly. Lines it does not understand are
# ignored with a warning; they never move the deadline. Lines that arrived together are applied
# together before the deadline is checked. SIGTERM/SIGINT/SIGHUP: disarm without fencing (a signal
# is not a sign that the agent died) and exit 128+signal.
#
# Fence: SIGKILL to the postmaster named by postmaster.pid (only if it runs in the data directory:
# a stale file's reused pid is never killed), then to every process running the postmaster's binary
# (or a binary named postgres/postmaster when unknown) with the data directory as its working
# directory; then up to 5 s for them to be gone (a zombie counts as gone).
#
# Watchdog device (--device): every valid arm keeps it alive (opening it on the first), disarm
# stops it (magic close 'V'), so does a fence that left no postgres process; after a failed fence it
# is left open without keep-alives, so the kernel resets the machine when its timeout runs out.
#
# Service (--listen SOCKET): the socket is created mode 0600; only a peer of this process's own user
# (SO_PEERCRED) is served, one at a time, greeted with "baton-watchdog 1 <pid>"; others read
# "refused <reason>". The connection closing is the end of the input (armed: fence at once), then
# the service waits for the next agent. SIGTERM removes the socket.
#
# Exit status: 0 after exit or the end of the input while disarmed, 1 after fencing because the
# input ended while armed, 2 for a command line it does not understand (and, as a service, when it
# cannot listen).
#
# Only core perl modules: it must run wherever postgresql-common (which depends on perl) does. Few
# of them, for a small RSS: the socket modules are loaded only by the service.
use strict;
use warnings;
use Fcntl qw(O_WRONLY);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

use constant {
    FENCING            => 'fencing postgres now',
    FROZEN_NS          => 1_000_000_000,   # woken this far past the deadline: frozen, not late by a tick
    FROZEN_GRACE_S     => 0.2,             # then how long input already sent is waited for
    SHARED_CLOCK_SLACK => 1_000_000_000,   # beyond this skew the absolute field is ignored
    MAX_REMAINING_MS   => 86_400_000,
    HOUR_NS            => 3_600_000_000_000,
    HANDOVER_GRACE_NS  => 2_000_000_000,   # a new agent may arrive while the last one's session ends
    EXIT_BAD_INPUT     => 2,
    GREETING           => 'baton-watchdog',
    VERSION            => 1,
    REFUSED            => 'refused',
};

my $USAGE = "usage: baton-watchdog --data-dir DIR [--name NAME] [--device PATH [--device-required]] "
    . "[--listen SOCKET] [--options-file FILE]";
my $JSON = lc($ENV{BATON_LOG_FORMAT} // '') eq 'json';

sub utc {
    my ($sec, $date_time_separator) = @_;
    my @t = gmtime $sec;
    return sprintf('%04d-%02d-%02d%s%02d:%02d:%02d', $t[5] + 1900, $t[4] + 1, $t[3], $date_time_separator,
        $t[2], $t[1], $t[0]);
}

# The watchdog's lines read "watchdog: ..." in the agent's log, in the agent's format.
sub logline {
    my ($level, $msg) = @_;
    my ($sec, $usec) = Time::HiRes::gettimeofday();
    my $line;
    if ($JSON) {
        (my $m = $msg) =~ s/(["\\])/\\$1/g;
        $m =~ s/\n/\\n/g;
        $m =~ s/\r/\\r/g;
        $m =~ s/\t/\\t/g;
        $m =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
        $line = sprintf('{"time":"%s.%03dZ","level":"%s","logger":"watchdog","message":"%s"}' . "\n",
            utc($sec, 'T'), int($usec / 1000), $level, $m);
    } else {
        $line = sprintf("%s.%03d %s watchdog: %s\n", utc($sec, ' '),
            int($usec / 1000), $level, $msg);
    }
    syswrite(STDERR, $line);
}
sub info { logline('INFO', $_[0]) }
sub warning { logline('WARNING', $_[0]) }
sub severe { logline('SEVERE', $_[0]) }

sub now_ns { return int(clock_gettime(CLOCK_MONOTONIC) * 1e9) }
sub ms { my $ns = shift; return int($ns / 1_000_000) }

# A Java long: optional sign, digits, within 64 bits; undef otherwise.
sub parse_long {
    my ($s) = @_;
    return undef unless defined $s && $s =~ /^([+-]?)0*(\d{1,19})$/;
    my ($sign, $digits) = ($1, $2);
    my $limit = $sign eq '-' ? '9223372036854775808' : '9223372036854775807';
    return undef if length($digits) == 19 && $digits gt $limit;
    return -9223372036854775807 - 1 if $digits eq '9223372036854775808';
    return $sign eq '-' ? -(0 + $digits) : 0 + $digits;
}

# ---------------------------------------------------------------------------- command line

sub parse_options {
    my @args = @_;
    my %o = (device_required => 0);
    for (my $i = 0; $i < @args; $i++) {
        my $arg = $args[$i];
        my $eq = index($arg, '=');
        my $option = $arg =~ /^--/ && $eq > 0 ? substr($arg, 0, $eq) : $arg;
        if ($option eq '--device-required') {
            die "--device-required takes no value\n" if $eq > 0;
            $o{device_required} = 1;
            next;
        }
        my $value;
        if ($eq > 0 && $arg =~ /^--/) {
            $value = substr($arg, $eq + 1);
        } elsif ($i + 1 < @args) {
            $value = $args[++$i];
        } else {
            die($option =~ /^--/ ? "$option needs a value\n" : "unexpected argument \"$option\"\n");
        }
        if    ($option eq '--data-dir')     { $o{data_dir} = $value }
        elsif ($option eq '--name')         { $o{name} = $value }
        elsif ($option eq '--device')       { $o{device} = $value }
        elsif ($option eq '--listen')       { $o{listen} = $value }
        elsif ($option eq '--options-file') { $o{options_file} = $value }
        else { die($option =~ /^--/ ? "unknown option $option\n" : "unexpected argument \"$option\"\n") }
    }
    if (defined $o{options_file}) {
        # One argument per line, written by `baton watchdog -c FILE --write-options FILE` (the
        # service unit's ExecStartPre): the options resolved from the agent's configuration.
        my $file = delete $o{options_file};
        open(my $fh, '<', $file) or die "cannot read --options-file $file: $!\n";
        chomp(my @lines = grep { $_ ne "\n" } <$fh>);
        close $fh;
        my %from = parse_options(@lines);
        die "--options-file $file: it cannot name another options file\n" if exists $from{options_file};
        for my $k (keys %from) {
            $o{$k} = $from{$k} unless defined $o{$k} && $k ne 'device_required';
        }
        $o{device_required} ||= $from{device_required};
    }
    return %o;
}

my %opt;
eval { %opt = parse_options(@ARGV); die "--data-dir is required\n" unless defined $opt{data_dir}; 1 } or do {
    my $e = $@;
    $e =~ s/\n\z//;
    print STDERR "watchdog: $e\n$USAGE\n";
    exit EXIT_BAD_INPUT;
};
$SIG{PIPE} = 'IGNORE';

# The directory's path with every symbolic link resolved (Java's toRealPath), or undef when it does
# not exist: the kernel's name for an open handle of it. Cwd's realpath where there is no /proc.
# Never a device: opening a watchdog device starts its timer.
sub real_dir {
    my ($path) = @_;
    return undef unless -d $path;
    if (-d '/proc/self/fd') {
        open(my $fh, '<', $path) or return undef;
        my $real = readlink('/proc/self/fd/' . fileno($fh));
        close $fh;
        return $real;
    }
    require Cwd;
    return Cwd::realpath($path);
}

my $DATA_DIR = $opt{data_dir};
my $DEVICE = $opt{device};
my $PROC = -d '/proc/self';

# ---------------------------------------------------------------------------- the device

my ($dev_fh, $dev_open_failed);

# /sys/class/watchdog/watchdogN/ATTR; /dev/watchdog is the legacy name of watchdog0.
sub sysfs_int {
    my ($device, $attribute) = @_;
    # The device's own name: follow the symbolic links to it (the directories do not change it).
    my ($real, $hops) = ($device, 0);
    while (-l $real && $hops++ < 40) {
        my $target = readlink($real);
        last unless defined $target;
        (my $dir = $real) =~ s{/[^/]*\z}{};
        $real = $target =~ m{^/} ? $target : "$dir/$target";
    }
    (my $name = $real) =~ s{.*/}{};
    $name = 'watchdog0' if $name eq 'watchdog';
    my $file = "/sys/class/watchdog/$name/$attribute";
    open(my $fh, '<', $file) or return undef;
    my $v = <$fh>;
    close $fh;
    return defined $v && $v =~ /^\s*(-?\d+)\s*$/ ? $1 : undef;
}

# A valid heartbeat arrived: open the device if needed and keep it alive.
sub dev_keepalive {
    return unless defined $DEVICE;
    unless ($dev_fh) {
        my $fh;
        unless (sysopen($fh, $DEVICE, O_WRONLY)) {
            unless ($dev_open_failed) {
                $dev_open_failed = 1;
                logline($opt{device_required} ? 'SEVERE' : 'WARNING', "cannot open the watchdog device $DEVICE ($!): "
                    . "fencing relies on this watchdog process alone");
            }
            return;
        }
        $dev_fh = $fh;
        $dev_open_failed = 0;
        my $timeout = sysfs_int($DEVICE, 'timeout');
        info("opened the watchdog device $DEVICE" . (defined $timeout ? " (timeout $timeout s)" : '')
            . ": if this watchdog stops keeping it alive, the kernel resets the machine");
    }
    defined syswrite($dev_fh, "\0") or severe("cannot keep the watchdog device $DEVICE alive: $!");
}

# Stop it (magic close): disarmed, or fenced successfully.
sub dev_disable {
    $dev_open_failed = 0;
    return unless $dev_fh;
    if (defined syswrite($dev_fh, 'V')) {
        info("stopped the watchdog device $DEVICE");
    } else {
        severe("cannot stop the watchdog device $DEVICE ($!): the kernel may reset the machine");
    }
    close $dev_fh;
    undef $dev_fh;
}

# The fence failed: no more keep-alives, so the machine resets at the device's timeout.
sub dev_abandon {
    severe("leaving the watchdog device $DEVICE without keep-alives: the kernel resets the machine "
        . "when its timeout runs out") if $dev_fh;
}

# ---------------------------------------------------------------------------- the fence

sub is_zombie {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/stat") or return 0;
    my $stat = <$fh> // '';
    close $fh;
    my $close = rindex($stat, ')');
    return $close > 0 && substr($stat, $close + 2, 1) eq 'Z';
}

# Alive and not a zombie: a killed process whose parent has not reaped it yet is dead for us.
sub is_live {
    my ($pid) = @_;
    my $exists = $PROC ? -e "/proc/$pid" : (kill(0, $pid) || $!{EPERM});
    return $exists && !is_zombie($pid);
}

sub exe {
    my ($pid) = @_;
    if ($PROC) {
        return readlink("/proc/$pid/exe");
    }
    my $c = `ps -o comm= -p $pid 2>/dev/null`;
    chomp $c;
    return $c eq '' ? undef : $c;
}

sub is_postgres_binary {
    my ($command) = @_;
    (my $name = $command) =~ s{.*/}{};
    $name =~ s/ \(deleted\)//;
    return $name eq 'postgres' || $name eq 'postmaster';
}

# The pid of the postmaster as postmaster.pid names it (a negative one is a standalone backend).
sub postmaster_pid {
    open(my $fh, '<', "$DATA_DIR/postmaster.pid") or return undef;
    my $first = <$fh> // '';
    close $fh;
    $first =~ s/^\s+|\s+$//g;
    my $pid = parse_long($first);
    return undef if !defined $pid || $pid <= 0;
    return $pid;
}

# Whether the process runs in the data directory (its cwd is the same file), or, without /proc,
# whether its binary is named postgres.
sub belongs_here {
    my ($pid) = @_;
    unless ($PROC) {
        my $c = exe($pid);
        return defined $c && is_postgres_binary($c);
    }
    my @a = stat("/proc/$pid/cwd") or return 0;
    my @b = stat($DATA_DIR) or return 0;
    return $a[0] == $b[0] && $a[1] == $b[1];
}

sub real_data_dir {
    my $r = real_dir($DATA_DIR);
    return $r if defined $r;
    # Gone: the absolute, normalized path (Java's toAbsolutePath().normalize()).
    my $abs = $DATA_DIR =~ m{^/} ? $DATA_DIR : ($ENV{PWD} // '.') . "/$DATA_DIR";
    my @parts;
    for my $p (split m{/+}, $abs) {
        next if $p eq '' || $p eq '.';
        if ($p eq '..') { pop @parts } else { push @parts, $p }
    }
    return '/' . join('/', @parts);
}

# Live processes whose working directory is $dir and whose binary is $binary (or is named postgres
# when not known), other than those in %$already. Two readlinks per process.
sub sweep {
    my ($dir, $binary, $already) = @_;
    my @found;
    return @found unless $PROC;
    opendir(my $dh, '/proc') or do { warning("cannot list /proc: $!"); return @found };
    while (defined(my $name = readdir $dh)) {
        next unless $name =~ /^\d+$/;
        my $pid = 0 + $name;
        next if $pid == $$ || $already->{$pid};
        my $cwd = readlink("/proc/$pid/cwd");
        next unless defined $cwd && $cwd eq $dir;
        my $command = exe($pid);
        next unless defined $command && (defined $binary ? $command eq $binary : is_postgres_binary($command));
        push @found, $pid if is_live($pid);
    }
    closedir $dh;
    return @found;
}

sub kill_one {
    my ($pid, $killed, $order) = @_;
    return if $killed->{$pid};
    if (!kill('KILL', $pid) && is_live($pid)) {
        severe("cannot send SIGKILL to process $pid");
    }
    $killed->{$pid} = 1;
    push @$order, $pid;
}

# Stops postgres from accepting writes; true when no postgres process of the data directory is left.
sub fence {
    my $started = now_ns();
    my $dir = real_data_dir();
    my (%killed, @order);
    my $postmaster = postmaster_pid();
    if (defined $postmaster && !is_live($postmaster)) {
        undef $postmaster;
    }
    if (defined $postmaster && !belongs_here($postmaster)) {
        warning("postmaster.pid names process $postmaster, which is not a postgres of $DATA_DIR: "
            . "not killing it (a stale file)");
        undef $postmaster;
    }
    my $binary;
    if (defined $postmaster) {
        $binary = exe($postmaster);
        kill_one($postmaster, \%killed, \@order);
    }
    kill_one($_, \%killed, \@order) for sweep($dir, $binary, \%killed);
    if (!@order) {
        info("nothing to fence: no postgres process runs in $DATA_DIR");
        return 1;
    }
    severe(sprintf('sent SIGKILL to %s and %d other postgres processes of %s (%d ms)',
        defined $postmaster ? "postmaster $postmaster" : 'no postmaster',
        scalar(@order) - (defined $postmaster ? 1 : 0), $DATA_DIR, ms(now_ns() - $started)));
    my $until = now_ns() + 5_000_000_000;
    my @left = @order;
    while (1) {
        @left = grep { is_live($_) } @left;
        last if !@left || now_ns() - $until >= 0;
        select(undef, undef, undef, 0.01);
    }
    my $took = ms(now_ns() - $started);
    if (!@left) {
        severe(sprintf('fenced: no postgres process of %s is left (%d ms)', $DATA_DIR, $took));
        return 1;
    }
    severe(sprintf('fencing incomplete after %d ms: processes %s of %s are still alive', $took,
        join(', ', @left), $DATA_DIR));
    return 0;
}

# ---------------------------------------------------------------------------- the rules

my ($armed, $deadline, $last_heartbeat, $clock_warned, $device_abandoned) = (0, 0, 0, 0, 0);

sub ignore_line {
    my ($line) = @_;
    my $shown = length($line) > 80 ? substr($line, 0, 80) . '...' : $line;
    $shown =~ s/[\x00-\x1f\x7f-\xff]/?/g;
    warning("ignoring an input line I do not understand: \"$shown\"");
}

sub arm {
    my ($f, $line) = @_;
    if (@$f < 2 || @$f > 3) {
        return ignore_line($line);
    }
    my $remaining_ms = parse_long($f->[1]);
    my $absolute = @$f == 3 ? parse_long($f->[2]) : undef;
    if (!defined $remaining_ms || (@$f == 3 && !defined $absolute) || abs($remaining_ms) > MAX_REMAINING_MS) {
        return ignore_line($line);
    }
    my $now = now_ns();
    my $remaining = $remaining_ms * 1_000_000;
    my $d = $now + $remaining;
    if (defined $absolute) {
        # Computed when the agent wrote the line; on a shared clock it lies at most `remaining`
        # ahead of now (earlier if the line waited in the pipe).
        my $ahead = $absolute - $now;
        if ($ahead <= $remaining + SHARED_CLOCK_SLACK && $ahead >= -(HOUR_NS)) {
            $d = $absolute if $absolute < $d;
        } elsif (!$clock_warned) {
            $clock_warned = 1;
            warning("the agent's monotonic clock differs from mine; using the remaining time only");
        }
    }
    my $was_armed = $armed;
    $armed = 1;
    $deadline = $d;
    $last_heartbeat = $now;
    if ($d - $now > 0) {
        dev_keepalive();
        $device_abandoned = 0;
    } else {
        warning(sprintf('a heartbeat arrived %d ms after its own deadline', ms($now - $d)));
    }
    if (!$was_armed && $d - $now > 0) {
        info(sprintf('armed: fencing postgres unless the agent renews its lease within %d ms', ms($d - $now)));
    }
}

sub disarm {
    my ($why) = @_;
    info("disarmed: $why") if $armed;
    $armed = 0;
    dev_disable();
}

# Applies one input line; true when it says exit.
sub apply_line {
    my ($raw) = @_;
    (my $line = $raw) =~ s/^\s+|\s+$//g;
    return 0 if $line eq '';
    my @f = split /\s+/, $line;
    my $command = lc $f[0];
    if ($command eq 'arm') {
        arm(\@f, $line);
    } elsif ($command eq 'disarm') {
        if (@f != 1) { ignore_line($line) } else { disarm('the agent disarmed it') }
    } elsif ($command eq 'exit') {
        if (@f != 1) {
            ignore_line($line);
            return 0;
        }
        warning('asked to exit while armed: disarming without fencing') if $armed;
        $armed = 0;
        dev_disable();
        info('exiting: the agent asked for it');
        return 1;
    } else {
        ignore_line($line);
    }
    return 0;
}

sub fence_now {
    $armed = 0;
    my $clean = eval { fence() };
    if (!defined $clean) {
        (my $e = $@ // 'unknown error') =~ s/\s+\z//;
        severe("fencing failed: $e");
        $clean = 0;
    }
    if ($clean) {
        dev_disable();
    } else {
        $device_abandoned = 1;
        dev_abandon();
    }
}

# Fences if armed and the deadline has passed.
sub check {
    return unless $armed;
    my $now = now_ns();
    return if $now - $deadline < 0;
    severe(sprintf('no heartbeat from the agent for %d ms, %d ms past the deadline of its lease: %s',
        ms($now - $last_heartbeat), ms($now - $deadline), FENCING));
    fence_now();
}

# The input ended (the agent's process is gone); returns the exit status.
sub end_of_input {
    unless ($armed) {
        dev_disable();
        return 0;
    }
    severe('my input ended while armed (the agent\'s process died): ' . FENCING);
    fence_now();
    return 1;
}

# Shutting down on a signal: not a sign that the agent died, so no fence. The device is stopped,
# unless a failed fence left it to reset the machine.
sub terminated {
    warning('terminated while armed: not fencing; the agent starts a new watchdog at its next renewal') if $armed;
    $armed = 0;
    dev_disable() unless $device_abandoned;
}

# ---------------------------------------------------------------------------- the loop

my ($server, $session, @waiting);    # the service's socket, its agent, agents waiting for their turn
my $allowed_uid = $>;

sub readable {
    my ($fh, $timeout) = @_;
    my $rin = '';
    vec($rin, fileno($fh), 1) = 1;
    while (1) {
        my $n = select(my $rout = $rin, undef, undef, $timeout);
        return $n > 0 if $n >= 0;
        return 0 unless $!{EINTR};
    }
}

# Runs the rules over $in until exit or its end; returns the exit status.
sub run_input {
    my ($in) = @_;
    my $buf = '';
    while (1) {
        my $now = now_ns();
        my $wait = $armed ? ($deadline - $now > 0 ? $deadline - $now : 0) : undef;
        if (@waiting) {
            my $w = $waiting[0]{until} - $now;
            $w = 0 if $w < 0;
            $wait = $w if !defined $wait || $w < $wait;
        }
        my $rin = '';
        vec($rin, fileno($in), 1) = 1;
        vec($rin, fileno($server), 1) = 1 if $server;
        my $n = select(my $rout = $rin, undef, undef, defined $wait ? $wait / 1e9 : undef);
        if ($n < 0) {
            next if $!{EINTR};
            warning("cannot wait for my input ($!): treating it as closed");
            return end_of_input();
        }
        if ($server) {
            accept_agent() if $n > 0 && vec($rout, fileno($server), 1);
            refuse_late_agents();
        }
        my $ready = $n > 0 && vec($rout, fileno($in), 1);
        unless ($ready) {
            next unless $armed && now_ns() - $deadline >= 0;
            # Woken long after the deadline: this process was frozen (SIGSTOP, a paused VM) or
            # starved. The agent may have said something meanwhile (a disarm after it demoted
            # itself): take it first, so as not to kill a postgres the agent has since started for
            # another purpose (a rewind).
            $ready = readable($in, FROZEN_GRACE_S) if now_ns() - $deadline > FROZEN_NS;
            unless ($ready) {
                check();
                next;
            }
        }
        my $got = sysread($in, my $chunk, 65536);
        if (!defined $got) {
            next if $!{EINTR} || $!{EAGAIN};
            warning("cannot read my input ($!): treating it as closed");
            $got = 0;
        }
        if ($got == 0) {
            return 0 if $buf ne '' && apply_line($buf);
            return end_of_input();
        }
        $buf .= $chunk;
        # The agent writes each line with one write(2), so what is ready is whole lines: all of them
        # are applied before the deadline is checked (a backlog counts by its latest heartbeat).
        while ($buf =~ s/\A([^\r\n]*)(?:\r\n|\r|\n)//) {
            return 0 if apply_line($1);
        }
        if (length($buf) > 65536) {
            return 0 if apply_line($buf);
            $buf = '';
        }
    }
}

# ---------------------------------------------------------------------------- the service

sub send_quietly {
    my ($c, $line) = @_;
    my $n = syswrite($c, $line);
    return defined $n && $n == length $line;
}

sub user_name {
    my ($uid) = @_;
    my $name = getpwuid($uid);
    return defined $name ? $name : $uid;
}

# Why this peer may not connect, or undef.
sub refusal {
    my ($c) = @_;
    my $cred = getsockopt($c, Socket::SOL_SOCKET(), Socket::SO_PEERCRED());
    return "cannot identify the peer ($!)" unless defined $cred;
    my (undef, $uid) = unpack('iII', $cred);
    return 'user ' . user_name($uid) . ' is not ' . user_name($allowed_uid) if $uid != $allowed_uid;
    return undef;
}

sub refuse {
    my ($c, $why) = @_;
    warning("refused a connection on $opt{listen}: $why");
    send_quietly($c, REFUSED . " $why\n");
    close $c;
}

# A connection while an agent is connected: it waits up to HANDOVER_GRACE for the session to end
# (an agent that closed gracefully and is being replaced by its restart), then is refused.
sub accept_agent {
    my $c = $server->accept or return;
    my $why = refusal($c);
    return refuse($c, $why) if defined $why;
    push @waiting, { conn => $c, until => now_ns() + HANDOVER_GRACE_NS };
}

sub refuse_late_agents {
    my $now = now_ns();
    while (@waiting && $now - $waiting[0]{until} >= 0) {
        refuse(shift(@waiting)->{conn}, 'another agent is connected');
    }
}

sub listen_on {
    my ($path) = @_;
    if (-e $path || -l $path) {
        die "$path exists and is not a socket: not replacing it\n" unless -S $path && !-l $path;
        my $probe = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Peer => $path);
        if ($probe) {
            close $probe;
            die "$path is in use by another watchdog service\n";
        }
        unlink $path or die "cannot remove the stale socket $path: $!\n"; # left behind: nobody listens
    }
    my $old = umask(077);
    my $s = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Local => $path, Listen => 16);
    my $error = $!;
    umask($old);
    die "$error\n" unless $s;
    chmod(0600, $path) or do { close $s; unlink $path; die "cannot set the mode of $path: $!\n" };
    info("fencing watchdog service listening on $path (pid $$)");
    return $s;
}

sub serve {
    while (1) {
        my $c;
        if (@waiting) {
            $c = shift(@waiting)->{conn};
        } else {
            next unless readable($server, undef);
            $c = $server->accept or next;
            my $why = refusal($c);
            if (defined $why) {
                refuse($c, $why);
                next;
            }
        }
        $session = $c;
        if (!send_quietly($c, GREETING . ' ' . VERSION . " $$\n")) {
            close $c;
            undef $session;
            next;
        }
        info('an agent connected');
        my $status = run_input($c);
        info($status == 0 ? 'the agent disconnected; waiting for the next one'
            : "the agent's connection ended while armed; fenced. Waiting for the next agent");
        close $c;
        undef $session;
    }
}

# ---------------------------------------------------------------------------- main

my $listen = $opt{listen};
for my $signal (qw(TERM INT HUP)) {
    $SIG{$signal} = sub {
        terminated();
        if ($server) {
            close $server;
            unlink $listen;
            close $session if $session;
        }
        exit(128 + ($signal eq 'HUP' ? 1 : $signal eq 'INT' ? 2 : 15));
    };
}
info('fencing watchdog' . (defined $opt{name} ? " of $opt{name}" : '') . (defined $listen ? ' service' : '')
    . " started (pid $$, data directory $DATA_DIR, watchdog device " . ($DEVICE // 'none') . ')');
if (defined $listen) {
    require IO::Socket::UNIX;
    require Socket;
    $server = eval { listen_on($listen) };
    unless ($server) {
        (my $e = $@) =~ s/\s+\z//;
        severe("cannot listen on $listen: $e");
        exit EXIT_BAD_INPUT;
    }
    serve();
}
binmode STDIN;
exit run_input(\*STDIN);
