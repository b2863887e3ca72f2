#!/usr/bin/env python3
"""Where a taskfarm JVM's samples go per phase of the per-message path, from a bench profile.

usage: scripts/jfr-phases.py FILE.jfr COORDINATOR.log JOB_REGEX [--role worker|coordinator]
                             [--callers FRAME_REGEX]

FILE.jfr and COORDINATOR.log come from `bench --profile DIR` (DIR/<node>.jfr, DIR/coordinator.log).
Only the execution samples (jdk.ExecutionSample) taken while a job whose id matches JOB_REGEX ran
count (the coordinator log's "Job <id> accepted" .. "Job <id> completed"; e.g. 'tf1-\\d' for the
measured chunk=1 runs of `--variants raw,taskfarm,off`, 'tf0-\\d' with `--variants raw,off`).
Each sample goes to the first phase (in the order below) one of whose patterns matches a frame
of its stack or its thread name. Printed: samples per 1000 tasks of the jobs (20000 each) and
the share of the JVM's samples. Sample counts grow with the machine's load (a preempted thread
in Java code is still sampled): compare shares within one profile, and CPU us/task across runs.
--callers prints the commonest stacks through a frame instead (innermost first).
"""
import argparse
import collections
import os
import re
import subprocess

WORKER = [
    ('compute (sha256, the task\'s JSON)', r'Sha256Compute|ComputeRunner\.lambda|ObjectMapper\.readTree|taskfarm-compute'),
    ('reply build (ReplyMessages)', r'ReplyMessages\.'),
    ('Camel headers -> AMQP properties', r'AmqpHeaders\.fromCamel|AmqpProperties|ReplyPublisher\.(props|properties)'),
    ('publisher confirms (callbacks, window)', r'handleAck|handleNack|ConfirmWindow\.|PublisherCallbackChannelImpl\.(handleAck|processMultipleAck)'),
    ('basicPublish (frame write)', r'ChannelN\.basicPublish|AMQChannel\.transmit'),
    ('ack (basicAck, settler)', r'basicAck|DeliverySettler'),
    ('error handler: defensive copy of the exchange', r'defensiveCopyExchangeIfNeeded'),
    ('delivery -> Camel exchange (headers)', r'AmqpHeaders\.toCamel|EndpointMessageListener\.createExchange|DefaultMessagePropertiesConverter|DefaultMessage\.setHeaders'),
    ('cancel filter', r'CancelledJobs'),
    ('frame reading (connection thread)', r'AMQConnection\$MainLoop'),
    ('thread hand-over (park/unpark, pool queues)', r'LockSupport\.(un)?park|SynchronousQueue|LinkedBlockingQueue|ThreadPoolExecutor\.(execute|getTask)'),
    ('Camel routing engine, exchange lifecycle', r'org\.apache\.camel'),
    ('Spring AMQP container', r'org\.springframework\.amqp'),
]
COORDINATOR = [
    ('ledger (H2)', r'org\.h2|JobLedger|hikari'),
    ('publish: requests built (intake stream, batches)', r'RequestMessages|JobIntake|RequestBatch|JobProgress\.published'),
    ('publish: basicPublish', r'ChannelN\.basicPublish'),
    ('publisher confirms', r'handleAck|ConfirmWindow|callConfirmListeners'),
    ('ack of replies', r'basicAck|DeliverySettler'),
    ('reply read and gate (contract checks, JSON)', r'ReplyMessages|ReplyReading|ReplyGate|jackson'),
    ('aggregator and strategy', r'AggregateProcessor|ResultAggregation|LedgerAggregationRepository'),
    ('group commit (ReplyBuffer, GroupCommit)', r'ReplyBuffer|GroupCommit'),
    ('delivery -> Camel exchange (headers)', r'AmqpHeaders\.toCamel|EndpointMessageListener\.createExchange|DefaultMessagePropertiesConverter|DefaultMessage\.setHeaders'),
    ('frame reading (connection thread)', r'AMQConnection\$MainLoop'),
    ('thread hand-over', r'LockSupport\.(un)?park|SynchronousQueue|LinkedBlockingQueue|ThreadPoolExecutor\.(execute|getTask)'),
    ('Camel routing engine, exchange lifecycle', r'org\.apache\.camel'),
    ('Spring AMQP container', r'org\.springframework\.amqp'),
]


def seconds(t):
    h, m, s = t.split(':')
    return int(h) * 3600 + int(m) * 60 + float(s)


def windows(log, job):
    found, started = [], {}
    for line in open(log, errors='replace'):
        m = re.match(r'(\d\d:\d\d:\d\d\.\d+) .*Job (\S+) (accepted|completed)', line)
        if not m or not job.fullmatch(m.group(2)):
            continue
        if m.group(3) == 'accepted':
            started[m.group(2)] = seconds(m.group(1))
        elif m.group(2) in started:
            found.append((started.pop(m.group(2)), seconds(m.group(1))))
    return found


def samples(jfr, wins):
    text = subprocess.run(['jfr', 'print', '--events', 'jdk.ExecutionSample', '--stack-depth', '64', jfr],
                          capture_output=True, text=True, check=True).stdout
    for ev in text.split('jdk.ExecutionSample {')[1:]:
        t = seconds(re.search(r'startTime = (\d\d:\d\d:\d\d\.\d+)', ev).group(1))
        if any(a <= t <= b for a, b in wins):
            thread = re.search(r'sampledThread = "([^"]*)"', ev).group(1)
            stack = ev.split('stackTrace = [')[1].split(']\n}')[0]
            frames = [re.sub(r'\s+line: \d+.*', '', f.strip()) for f in stack.split('\n') if f.strip() not in ('', '...')]
            yield thread, frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('jfr')
    ap.add_argument('log')
    ap.add_argument('job')
    ap.add_argument('--role', choices=['worker', 'coordinator'], help='default: from the file name')
    ap.add_argument('--callers')
    ap.add_argument('--tasks', type=int, default=20000)
    a = ap.parse_args()
    wins = windows(a.log, re.compile(a.job))
    role = a.role or ('coordinator' if 'coordinator' in os.path.basename(a.jfr) else 'worker')
    phases = WORKER if role == 'worker' else COORDINATOR
    counts, total = collections.Counter(), 0
    for thread, frames in samples(a.jfr, wins):
        total += 1
        if a.callers:
            i = next((i for i, f in enumerate(frames) if re.search(a.callers, f)), None)
            if i is not None:
                counts[' <- '.join(re.sub(r'\(.*', '', f) for f in frames[i:i + 6])] += 1
            continue
        # method names only: a parameter type (AmqpConsumer.process(..., DeliverySettler, ...)) is no call
        text = '\n'.join(re.sub(r'\(.*', '', f) for f in frames) + '\n' + thread
        counts[next((name for name, rx in phases if re.search(rx, text)), 'other')] += 1
    per = len(wins) * a.tasks / 1000
    print(f'{len(wins)} job windows, {total} samples, {total / max(per, 1):.1f} per 1000 tasks')
    names = [n for n, _ in counts.most_common(15)] if a.callers else [n for n, _ in phases] + ['other']
    for name in names:
        print(f'{counts[name] / max(per, 1):6.2f} {counts[name] * 100 / max(total, 1):5.1f}%  {name}')


if __name__ == '__main__':
    main()
