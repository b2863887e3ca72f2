// A taskfarm worker in Go: the seed's RPC server on streadway/amqp, changed to follow
// docs/WIRE.md. Serves "sha256" and "collatz", answers chunked requests, skips cancelled jobs,
// reconnects when the broker connection is lost and stops gracefully on SIGTERM.
//
//	RABBITMQ_URL=amqp://user:password@localhost:5672/ ./taskfarm-worker
package main

import (
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/streadway/amqp"
)

type Config struct {
	URL           string
	Requests      string
	Computes      []string
	DeadLetters   string
	DeliveryLimit int
	Control       string
	Prefetch      int
	Name          string
	ReplyTwice    bool
}

func main() {
	cfg := config()
	cancelled := NewCancelledJobs()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	backoff := 500 * time.Millisecond
	served := 0
	for {
		connection, err := amqp.DialConfig(cfg.URL, amqp.Config{Heartbeat: 30 * time.Second,
			Properties: amqp.Table{"connection_name": env("TASKFARM_CONNECTION_NAME", "taskfarm-go-worker")}})
		var s *Server
		if err == nil {
			s = CreateServer(connection, cfg, cancelled)
			if err = listenForCancels(connection, cfg.Control, cancelled); err == nil {
				err = s.Start()
			}
		}
		if err != nil {
			log.Printf("cannot serve (%v); retrying in %v", err, backoff)
			if connection != nil {
				connection.Close()
			}
			select {
			case <-signals:
				return
			case <-time.After(backoff):
			}
			backoff = minDuration(2*backoff, 10*time.Second)
			continue
		}
		backoff = 500 * time.Millisecond
		log.Printf("serving %s.{%s}", cfg.Requests, strings.Join(cfg.Computes, ","))
		closed := connection.NotifyClose(make(chan *amqp.Error, 1))
		select {
		case <-signals:
			log.Printf("stopping: finishing the task in hand")
			s.Stop()
			connection.Close()
			log.Printf("stopped after %d replies", served+s.Served)
			return
		case reason := <-closed:
			s.stopped.Wait()
			served += s.Served
			log.Printf("broker connection lost (%v); reconnecting", reason)
		}
	}
}

func config() Config {
	address := os.Getenv("RABBITMQ_URL")
	if address == "" {
		user, password := os.Getenv("RABBITMQ_USERNAME"), os.Getenv("RABBITMQ_PASSWORD")
		if user == "" || password == "" {
			log.Fatal("set RABBITMQ_URL, or RABBITMQ_USERNAME and RABBITMQ_PASSWORD (and RABBITMQ_HOST/RABBITMQ_PORT)")
		}
		address = fmt.Sprintf("amqp://%s:%s@%s:%s/%s", url.QueryEscape(user), url.QueryEscape(password),
			env("RABBITMQ_HOST", "127.0.0.1"), env("RABBITMQ_PORT", "5672"), url.QueryEscape(env("RABBITMQ_VHOST", "/")))
	}
	prefetch, err := strconv.Atoi(env("TASKFARM_WORKER_PREFETCH", "1"))
	if err != nil || prefetch < 1 {
		log.Fatal("TASKFARM_WORKER_PREFETCH must be a whole number >= 1")
	}
	limit, err := strconv.Atoi(env("TASKFARM_QUEUE_DELIVERY_LIMIT", "5"))
	if err != nil || limit < 1 {
		log.Fatal("TASKFARM_QUEUE_DELIVERY_LIMIT must be a whole number >= 1")
	}
	var served []string
	for name := range computes {
		served = append(served, name)
	}
	if list := os.Getenv("TASKFARM_COMPUTES"); list != "" {
		served = nil
		for _, name := range strings.Split(list, ",") {
			if _, ok := computes[strings.TrimSpace(name)]; !ok {
				log.Fatalf("TASKFARM_COMPUTES names %q, which this worker does not have", name)
			}
			served = append(served, strings.TrimSpace(name))
		}
	}
	sort.Strings(served)
	name, _ := os.Hostname()
	return Config{
		URL:           address,
		Requests:      env("TASKFARM_QUEUE_REQUESTS", "taskfarm.requests"),
		Computes:      served,
		DeadLetters:   env("TASKFARM_QUEUE_DEAD_LETTERS", "taskfarm.requests.dlq"),
		DeliveryLimit: limit,
		Control:       env("TASKFARM_EXCHANGE_CONTROL", "taskfarm.control"),
		Prefetch:      prefetch,
		Name:          env("HOSTNAME", name),
		ReplyTwice:    os.Getenv("TASKFARM_REPLY_TWICE") == "true",
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func minDuration(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}
