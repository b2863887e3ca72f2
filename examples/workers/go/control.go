package main

import (
	"log"
	"sync"

	"github.com/streadway/amqp"
)

// CancelledJobs remembers jobs cancelled by a control broadcast; their pending tasks are skipped.
// It outlives reconnects.
type CancelledJobs struct {
	mutex sync.Mutex
	jobs  map[string]bool
	order []string
}

const rememberCancelled = 10000

func NewCancelledJobs() *CancelledJobs {
	return &CancelledJobs{jobs: map[string]bool{}}
}

func (c *CancelledJobs) Add(jobID string) {
	c.mutex.Lock()
	defer c.mutex.Unlock()
	if c.jobs[jobID] {
		return
	}
	c.jobs[jobID] = true
	c.order = append(c.order, jobID)
	if len(c.order) > rememberCancelled {
		delete(c.jobs, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *CancelledJobs) Has(jobID string) bool {
	c.mutex.Lock()
	defer c.mutex.Unlock()
	return c.jobs[jobID]
}

// listenForCancels binds an exclusive server-named queue of this worker to the control exchange
// (a durable fanout, declared with the coordinator's arguments) and records every cancel.
func listenForCancels(connection *amqp.Connection, exchange string, cancelled *CancelledJobs) error {
	channel, err := connection.Channel()
	if err != nil {
		return err
	}
	if err = channel.ExchangeDeclare(exchange, "fanout", true, false, false, false, nil); err != nil {
		return err
	}
	queue, err := channel.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return err
	}
	if err = channel.QueueBind(queue.Name, "", exchange, false, nil); err != nil {
		return err
	}
	messages, err := channel.Consume(queue.Name, "", true, true, false, false, nil)
	if err != nil {
		return err
	}
	go func() {
		for message := range messages {
			jobID, _ := message.Headers["TaskfarmJobId"].(string)
			if message.Headers["TaskfarmControl"] == "cancel" && jobID != "" {
				cancelled.Add(jobID)
				log.Printf("job %s cancelled: its pending tasks are skipped", jobID)
			}
		}
	}()
	return nil
}
