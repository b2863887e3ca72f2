package dev.taskfarm;

import org.apache.camel.support.service.ServiceSupport;

/** Closes a resource when the Camel context stops. */
final class Closer extends ServiceSupport {

    private final AutoCloseable resource;

    Closer(AutoCloseable resource) {
        this.resource = resource;
    }

    @Override
    protected void doStop() throws Exception {
        resource.close();
    }

    /** A bean another configuration class bound before this one. */
    static <T> T bean(org.apache.camel.CamelContext context, String name, Class<T> type) {
        T bean = context.getRegistry().lookupByNameAndType(name, type);
        if (bean == null) {
            throw new IllegalStateException("bean " + name + " is missing: configuration classes out of order?");
        }
        return bean;
    }
}
