package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/streadway/amqp"
)

const wireVersion = 1
const maxError = 1000

// Server is the seed's RPC server, following docs/WIRE.md: it consumes task requests, runs the
// compute each one names and publishes the reply to the request's reply_to, persistent and
// mandatory, and acknowledges the request only after the broker confirmed the reply.
type Server struct {
	connection    *amqp.Connection
	channel       *amqp.Channel
	confirms      chan amqp.Confirmation
	returns       chan amqp.Return
	requests      string
	computes      []string
	deadLetters   string
	deliveryLimit int
	prefetch      int
	name          string
	replyTwice    bool
	cancelled     *CancelledJobs
	stop          chan bool
	stopped       sync.WaitGroup
	Served        int
}

func CreateServer(connection *amqp.Connection, cfg Config, cancelled *CancelledJobs) *Server {
	return &Server{
		connection:    connection,
		requests:      cfg.Requests,
		computes:      cfg.Computes,
		deadLetters:   cfg.DeadLetters,
		deliveryLimit: cfg.DeliveryLimit,
		prefetch:      cfg.Prefetch,
		name:          cfg.Name,
		replyTwice:    cfg.ReplyTwice,
		cancelled:     cancelled,
		stop:          make(chan bool, 1),
	}
}

// Start opens the channel (confirm mode, Qos) and starts consuming the requests queue of each
// compute it serves.
func (s *Server) Start() error {
	channel, err := s.connection.Channel()
	if err != nil {
		return err
	}
	// per consumer (one per queue): RabbitMQ's quorum queues refuse a channel-global prefetch
	if err = channel.Qos(s.prefetch, 0, false); err != nil {
		return err
	}
	if err = channel.Confirm(false); err != nil {
		return err
	}
	s.confirms = channel.NotifyPublish(make(chan amqp.Confirmation, 1))
	s.returns = channel.NotifyReturn(make(chan amqp.Return, 1))
	// one requests queue per compute, <requests>.<compute>, declared with the arguments the
	// coordinator uses (docs/WIRE.md, "Task queues"), and its deliveries merged into one stream
	messages := make(chan amqp.Delivery)
	var consuming sync.WaitGroup
	for _, compute := range s.computes {
		queue := s.requests + "." + compute
		args := amqp.Table{"x-queue-type": "quorum", "x-delivery-limit": int32(s.deliveryLimit),
			"x-dead-letter-exchange": "", "x-dead-letter-routing-key": s.deadLetters}
		if _, err = channel.QueueDeclare(queue, true, false, false, false, args); err != nil {
			return err
		}
		deliveries, err := channel.Consume(queue, "", false, false, false, false, nil)
		if err != nil {
			return err
		}
		consuming.Add(1)
		go func() {
			defer consuming.Done()
			for d := range deliveries {
				messages <- d
			}
		}()
	}
	// the channel closed: every queue's deliveries ended, so the merged stream ends too
	go func() {
		consuming.Wait()
		close(messages)
	}()
	s.channel = channel
	s.stopped.Add(1)
	go s.consumeLoop(messages)
	return nil
}

// Stop finishes the request in hand, then closes the channel: prefetched requests go back to
// the queue for other workers.
func (s *Server) Stop() {
	s.stop <- true
	s.stopped.Wait()
	s.channel.Close()
}

func (s *Server) consumeLoop(messages <-chan amqp.Delivery) {
	defer s.stopped.Done()
	for {
		select {
		case <-s.stop:
			return
		case message, open := <-messages:
			if !open {
				return // channel or connection closed: the caller reconnects
			}
			s.consume(message)
		}
	}
}

func (s *Server) consume(message amqp.Delivery) {
	jobID, _ := message.Headers["TaskfarmJobId"].(string)
	index, hasIndex := integer(message.Headers["TaskfarmTaskIndex"])
	chunk, chunked := integer(message.Headers["TaskfarmChunkSize"])
	compute := computes[fmt.Sprint(message.Headers["TaskfarmCompute"])]
	if s.cancelled.Has(jobID) {
		message.Ack(false) // a cancelled job's task: skipped, no reply
		return
	}
	if compute == nil || jobID == "" || !hasIndex || message.ReplyTo == "" {
		message.Reject(false) // cannot handle it: dead-lettered, the job records it as failed
		return
	}
	headers := amqp.Table{"TaskfarmJobId": jobID, "TaskfarmTaskIndex": int32(index),
		"TaskfarmWire": int32(wireVersion), "TaskfarmWorker": s.name, "TaskfarmStatus": "ok"}
	var body []byte
	var err error
	if chunked {
		headers["TaskfarmChunkSize"] = int32(chunk)
		body, err = runChunk(compute, message.Body, chunk)
	} else {
		body, err = runTask(compute, message.Body)
	}
	if err != nil {
		text := err.Error()
		if len(text) > maxError {
			text = text[:maxError]
		}
		headers["TaskfarmStatus"] = "error"
		headers["TaskfarmError"] = text
		body, _ = marshal(map[string]string{"error": text})
	}
	reply := amqp.Publishing{
		ContentType:   "application/json",
		DeliveryMode:  amqp.Persistent,
		CorrelationId: message.CorrelationId,
		Headers:       headers,
		Body:          body,
	}
	for i := 0; i < 1 || s.replyTwice && i < 2; i++ {
		if !s.publish(message.ReplyTo, reply) {
			time.Sleep(time.Second)
			message.Nack(false, true) // never ack a request whose reply is lost: give it back
			return
		}
	}
	message.Ack(false) // only now: the broker has confirmed the reply
	s.Served++
}

// publish sends a reply mandatory and waits for its confirm; false if the broker returned it
// (its reply_to queue does not exist) or nacked it.
func (s *Server) publish(replyTo string, reply amqp.Publishing) bool {
	if err := s.channel.Publish("", replyTo, true, false, reply); err != nil {
		return false
	}
	confirmed, open := <-s.confirms
	select {
	case returned := <-s.returns: // a return always arrives before the confirm of its publish
		log.Printf("reply %s returned (%s): request requeued", returned.CorrelationId, returned.ReplyText)
		return false
	default:
	}
	return open && confirmed.Ack
}

func runTask(compute Compute, body []byte) ([]byte, error) {
	var task map[string]interface{}
	if err := json.Unmarshal(body, &task); err != nil || task == nil {
		return nil, fmt.Errorf("a task must be a JSON object")
	}
	result, err := safely(compute, task)
	if err != nil {
		return nil, err
	}
	return marshal(result)
}

func runChunk(compute Compute, body []byte, size int) ([]byte, error) {
	var tasks []json.RawMessage
	if err := json.Unmarshal(body, &tasks); err != nil || len(tasks) != size {
		return nil, fmt.Errorf("a chunk body must be a JSON array of %d tasks", size)
	}
	outcomes := make([]map[string]interface{}, size)
	for i, raw := range tasks {
		result, err := runTask(compute, raw)
		if err != nil {
			outcomes[i] = map[string]interface{}{"status": "error", "error": err.Error()}
		} else {
			outcomes[i] = map[string]interface{}{"status": "ok", "result": json.RawMessage(result)}
		}
	}
	return marshal(outcomes)
}

// marshal is json.Marshal without escaping <, > and & (results are read by programs, not browsers).
func marshal(v interface{}) ([]byte, error) {
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// safely runs a compute; a panic becomes the task's error.
func safely(compute Compute, task map[string]interface{}) (result interface{}, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("compute failed: %v", p)
		}
	}()
	return compute(task)
}

// integer reads an AMQP header number (Java sends int32, pika int64).
func integer(v interface{}) (int, bool) {
	switch n := v.(type) {
	case int32:
		return int(n), true
	case int64:
		return int(n), true
	case int16:
		return int(n), true
	case int8:
		return int(n), true
	}
	return 0, false
}
