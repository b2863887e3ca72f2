package dev.taskfarm.amqp;

/** What hears the broker's answer to one publish: an exchange's {@link Outcome}, or a {@link Coalescer}'s batch. */
interface Settlement {

    void confirmed(boolean ack, String cause);

    void fail(Exception e);

    /** Publishes one message whose broker answer goes to a settlement ({@link ConfirmedPublisher}). */
    interface Publisher {
        void publish(String routingKey, com.rabbitmq.client.AMQP.BasicProperties properties, byte[] body,
                Settlement settlement) throws Exception;
    }
}
