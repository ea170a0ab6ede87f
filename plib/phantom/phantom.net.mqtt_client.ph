// .phantom.net.mqtt_client: an MQTT 3.1.1 client whose session lives in the world (docs/network.md
// "MQTT"). QoS 0 and 1 both ways; keep-alive; one SUBSCRIBE per filter.
//
// How it works. connect() starts a reader: a VM thread of the client's own (started by a tmr:
// callback, so no boot object is needed) that connects, reads every packet and hands PUBLISHes to the
// handler. Outgoing QoS 1 messages stay in `inflight` until their PUBACK; the list is part of the
// world, so after a restart (the socket then says "connection lost by restart"), a lost connection or a
// malformed packet, the reader connects again with clean session 0 and sends each of them again, with
// DUP set when it had been sent before. A periodic tmr: timer sends PINGREQ when the client has sent
// nothing for half the keep-alive, and drops a connection whose broker did not answer within it.
// Sends are output-committed (the socket's default): a PUBLISH leaves only once the snapshot holding it
// in `inflight` has committed, and a PUBACK for an incoming message only once the state its handler
// made is durable. So no message is ever "taken back" by a crash, and none acknowledged is lost.
//
// Locking: `lock` guards the fields and every send (packets never interleave); the handler is called
// without it, so it may publish (it must not wait: subscribe and flush do not wait on the reader).
package .phantom.net;

// What a program gets messages through: extend it and override message.
class mqtt_handler
{
    void message(var topic : string, var payload : string) {}
};

// An outgoing QoS 1 message not yet acknowledged, or a subscription.
class mqtt_message
{
    var id : int;
    var topic : string;
    var payload : string;
    var qos : int;
    var sent : int;            // 1 once handed to a socket (a re-send then carries DUP)
    var acked : int;           // subscriptions: 0 waiting for SUBACK, 1 granted, 2 refused

    void mqtt_message(var i : int, var t : string, var p : string, var q : int) { id = i; topic = t; payload = p; qos = q; }
    int getId() { return id; }
    void setId(var i : int) { id = i; }
    string getTopic() { return topic; }
    string getPayload() { return payload; }
    int getQos() { return qos; }
    void setQos(var q : int) { qos = q; }
    int wasSent() { return sent; }
    void setSent(var s : int) { sent = s; }
    int getAcked() { return acked; }
    void setAcked(var a : int) { acked = a; }
};

// Timer callbacks into the client: method 20 runs in a new VM thread (docs/connections.md "tmr:").
class mqtt_reader_start
{
    var client : mqtt_client;
    var generation : int;
    void mqtt_reader_start(var c : mqtt_client, var g : int) { client = c; generation = g; }
    void fire(var seconds : .internal.object) [20] { client.readerLoop(generation); }
};

class mqtt_keepalive_tick
{
    var client : mqtt_client;
    void mqtt_keepalive_tick(var c : mqtt_client) { client = c; }
    void fire(var seconds : .internal.object) [20] { client.keepAliveTick(); }
};

class mqtt_client
{
    // states
    var state : int;           // 0 stopped, 1 connecting (first time), 2 connected, 3 waiting to reconnect
    var ever_connected : int;  // since connect(): reconnects use clean session 0
    var generation : int;      // of the reader; an older reader ends

    // configuration
    var host : string;
    var port : int;
    var client_id : string;
    var clean : int;
    var keep_alive : int;      // seconds, 0: none
    var retry_ms : int;
    var max_inflight : int;
    var immediate : int;
    var handler : mqtt_handler;
    var codec : mqtt_codec;

    // session state
    var inflight : mqtt_message[];
    var inflight_count : int;
    var subs : mqtt_message[];
    var subs_count : int;
    var next_id : int;

    // the connection
    var sock : tcp_socket;
    var inbuf : string;
    var last_error : string;
    var close_reason : string;         // why the client itself closed the socket ("" when it did not)
    var last_sent : .internal.long;
    var last_received : .internal.long;
    var ping_sent : .internal.long;    // 0 when no PINGRESP is due
    var reader : .internal."thread";
    var lock : .internal.mutex;
    var changed : .internal.cond;
    var starter : .internal.connection;
    var ticker : .internal.connection;

    // counters
    var connects : int;
    var published : int;
    var acknowledged : int;
    var received : int;

    void mqtt_client()
    {
        codec = new mqtt_codec();
        lock = new .internal.mutex();
        changed = new .internal.cond();
        inflight = new mqtt_message[]();
        subs = new mqtt_message[]();
        retry_ms = 1000;
        max_inflight = 100;
        next_id = 1;
        last_error = "";
        close_reason = "";
    }

    // ---- configuration (before connect) ----

    void setHandler(var h : mqtt_handler) { handler = h; }
    void setRetryInterval(var ms : int) { retry_ms = ms; }
    // How many QoS 1 messages may wait for their PUBACK; publish waits while that many do.
    void setMaxInflight(var n : int) { max_inflight = n; }
    // 1: send at once instead of after the next commit (a crash may then take back what was sent).
    void setImmediate(var on : int) { immediate = on; }
    void setMaxPacket(var bytes : int) { codec.setMaxPacket(bytes); }

    // ---- the session ----

    // Connects to the broker at host:port and waits for its CONNACK; throws the reason when the first
    // attempt fails ("tcp 127.0.0.1:1883: connection refused", "... the broker refused the connection:
    // not authorized (5)"). From then on the client reconnects by itself whenever the connection is
    // lost, until disconnect(). Call it from a thread other than the boot method (docs/language.md).
    void connect(var h : string, var p : int, var id : string, var cleanSession : int, var keepAliveSeconds : int)
    {
        var t : .internal.connection;
        var e : string;
        if (keepAliveSeconds < 0 || keepAliveSeconds > 65535) throw "mqtt: keep-alive " + keepAliveSeconds + " is not 0..65535 seconds";
        if (id.length() > 65535) throw "mqtt: a client id longer than 65535 bytes";
        lock.lock();
        if (state != 0) { lock.unlock(); throw name() + ": already connected"; }
        host = h;
        port = p;
        client_id = id;
        clean = cleanSession;
        keep_alive = keepAliveSeconds;
        ever_connected = 0;
        last_error = "";
        state = 1;
        generation = generation + 1;
        if (keep_alive > 0)
        {
            ticker = new .internal.connection();
            ticker.connect("tmr:");
            ticker.setCallback(new mqtt_keepalive_tick(this), 20);
            ticker.invoke(tickMs(), 1);
        }
        t = new .internal.connection();
        t.connect("tmr:");
        t.setCallback(new mqtt_reader_start(this, generation), 20);
        starter = t;
        t.invoke(0, 0);
        // A timed wait: until the reader's tmr: callback has fired, no thread waits on a connection, and
        // the VM would report every thread blocked on a cond.
        while (state == 1) changed.twait(lock, 1000);
        if (state == 0) { e = last_error; lock.unlock(); throw e; }
        lock.unlock();
    }

    // Sends DISCONNECT and closes; the reader ends. Unacknowledged QoS 1 messages stay and are sent
    // again by the next connect().
    void disconnect()
    {
        lock.lock();
        if (state == 0) { lock.unlock(); return; }
        if (state == 2) { try { sock.send(codec.disconnect()); } catch (string e) {} }
        state = 0;
        generation = generation + 1;
        closeSocket();
        if (ticker :!= null) { ticker.invoke(0, 2); ticker = null; }
        changed.broadcast();
        lock.unlock();
    }

    // Publishes payload to topic with QoS 0 or 1. QoS 1: kept until the broker's PUBACK, sent again
    // after any reconnect or restart; waits while setMaxInflight messages are unacknowledged; queued
    // while the client is reconnecting. QoS 0: sent now, or a thrown error when not connected.
    // Returns the packet id (0 for QoS 0).
    int publish(var topic : string, var payload : string, var qos : int)
    {
        var m : mqtt_message;
        var id : int;
        var e : string;
        if (qos < 0 || qos > 1) throw "mqtt: QoS " + qos + " is not supported (0 or 1)";
        if (topic.length() == 0 || topic.strstr("+") >= 0 || topic.strstr("#") >= 0)
            throw "mqtt: cannot publish to the topic \"" + topic + "\"";
        if (topic.length() > 65535) throw "mqtt: a topic longer than 65535 bytes";
        lock.lock();
        if (state == 0) { lock.unlock(); throw name() + ": not connected (call connect first)"; }
        if (qos == 0)
        {
            if (state != 2) { e = name() + ": not connected now: " + last_error; lock.unlock(); throw e; }
            sendLocked(codec.publish(topic, payload, 0, 0, 0));
            published = published + 1;
            lock.unlock();
            return 0;
        }
        if (onReader() == 0) while (inflight_count >= max_inflight && state != 0) changed.wait(lock);
        if (state == 0) { lock.unlock(); throw name() + ": disconnected while waiting to publish"; }
        id = newId();
        m = new mqtt_message(id, topic, payload, 1);
        inflight[inflight_count] = m;
        inflight_count = inflight_count + 1;
        published = published + 1;
        if (state == 2) { sendLocked(codec.publish(topic, payload, 1, id, 0)); m.setSent(1); }
        lock.unlock();
        return id;
    }

    // Subscribes to filter with the largest QoS wanted (0 or 1) and waits for the broker's SUBACK
    // (across reconnects); throws when the broker refuses. The subscription is kept in the client and
    // made again after a reconnect that finds no session on the broker. From the handler it does not
    // wait.
    void subscribe(var filter : string, var qos : int)
    {
        var s : mqtt_message;
        var i : int;
        if (qos < 0 || qos > 1) throw "mqtt: QoS " + qos + " is not supported (0 or 1)";
        if (filter.length() == 0 || filter.length() > 65535) throw "mqtt: a topic filter of " + filter.length() + " bytes";
        lock.lock();
        if (state == 0) { lock.unlock(); throw name() + ": not connected (call connect first)"; }
        s = null;
        i = 0;
        while (i < subs_count) { if (subs[i].getTopic() == filter) s = subs[i]; i = i + 1; }
        if (s :== null) { s = new mqtt_message(0, filter, "", qos); subs[subs_count] = s; subs_count = subs_count + 1; }
        s.setQos(qos);
        s.setAcked(0);
        s.setId(newId());
        if (state == 2) sendLocked(codec.subscribe(s.getId(), filter, qos));
        if (onReader()) { lock.unlock(); return; }
        while (s.getAcked() == 0 && state != 0) changed.wait(lock);
        lock.unlock();
        if (s.getAcked() == 2) throw name() + ": the broker refused the subscription to \"" + filter + "\"";
        if (s.getAcked() == 0) throw name() + ": disconnected while subscribing to \"" + filter + "\"";
    }

    // Waits until every QoS 1 message published so far is acknowledged (or the client is stopped).
    void flush()
    {
        lock.lock();
        if (onReader() == 0) while (inflight_count > 0 && state != 0) changed.wait(lock);
        lock.unlock();
    }

    // ---- what a program can see ----

    int isConnected() { return state == 2; }
    // The reason the connection was last lost or refused, "" when none.
    string lastError() { return last_error; }
    int inflightCount() { return inflight_count; }
    int connectCount() { return connects; }         // CONNACKs received since the client was made
    int publishedCount() { return published; }
    int acknowledgedCount() { return acknowledged; }
    int receivedCount() { return received; }
    string name() { return "mqtt " + host + ":" + port; }

    // ---- the reader (its own VM thread) ----

    void readerLoop(var g : int)
    {
        var s : tcp_socket;
        var data : string;
        var e : string;
        var restart : int;
        lock.lock();
        if (g != generation) { lock.unlock(); return; }
        reader = (new .internal.world()).getMyThread();
        lock.unlock();
        while (1)
        {
            lock.lock();
            if (g != generation || state == 0) { lock.unlock(); return; }
            s = sock;
            lock.unlock();
            try
            {
                if (s :== null) { s = openSession(g); if (s :== null) return; }
                data = s.receive(65536);
                if (data.length() == 0) throw name() + ": the broker closed the connection";
                last_received = now();
                inbuf = inbuf.concat(data);
                drain(s);
            }
            catch (string err)
            {
                restart = err.strstr("lost by restart") >= 0;
                lock.lock();
                if (g != generation || state == 0) { lock.unlock(); return; }
                if (close_reason.length() > 0) err = close_reason;   // the socket failed because the client closed it
                if (err.strstr("mqtt ") != 0 && err.strstr("tcp ") != 0) err = name() + ": " + err;
                last_error = err;
                close_reason = "";
                if (sock :== s) closeSocket();
                if (ever_connected == 0 && restart == 0)
                {
                    state = 0;     // the first connect failed: connect() throws the reason
                    generation = generation + 1;
                    if (ticker :!= null) { ticker.invoke(0, 2); ticker = null; }
                    changed.broadcast();
                    lock.unlock();
                    return;
                }
                if (state == 2) state = 3;
                changed.broadcast();
                lock.unlock();
                if (restart == 0) pause(retry_ms);
            }
        }
    }

    // Connects, sends CONNECT, waits for CONNACK, then sends what the session owes: subscriptions the
    // broker does not have, and every unacknowledged QoS 1 message. Returns the socket (null when the
    // client was stopped meanwhile); throws on failure.
    tcp_socket openSession(var g : int)
    {
        var s : tcp_socket = new tcp_socket();
        var p : mqtt_packet;
        var n : int;
        var i : int;
        var m : mqtt_message;
        var present : int;
        inbuf = "";
        s.connect(host, port);
        if (immediate) s.setImmediate(1);
        lock.lock();
        if (g != generation || state == 0) { lock.unlock(); s.close(); return null; }
        sock = s;
        close_reason = "";
        ping_sent = 0L;
        n = clean;
        if (ever_connected) n = 0;
        sendLocked(codec.connect(client_id, n, keep_alive));
        lock.unlock();
        n = codec.frameLength(inbuf);
        while (n < 0) { receiveInto(s); n = codec.frameLength(inbuf); }
        p = codec.decode(inbuf.substring(0, n));
        inbuf = codec.slice(inbuf, n, inbuf.length() - n);
        if (p.type() != 2) throw "malformed MQTT packet: the first packet is of type " + p.type() + ", not CONNACK";
        if (p.returnCode() != 0) throw name() + ": the broker refused the connection: " + codec.connackReason(p.returnCode());
        present = p.sessionPresent();
        lock.lock();
        if (g != generation || state == 0) { lock.unlock(); return null; }
        state = 2;
        ever_connected = 1;
        connects = connects + 1;
        last_received = now();
        i = 0;
        while (i < subs_count)
        {
            m = subs[i];
            if (present == 0 || m.getAcked() == 0)
            {
                if (m.getAcked() == 2) m.setAcked(0);
                m.setId(newId());
                sendLocked(codec.subscribe(m.getId(), m.getTopic(), m.getQos()));
            }
            i = i + 1;
        }
        i = 0;
        while (i < inflight_count)
        {
            m = inflight[i];
            sendLocked(codec.publish(m.getTopic(), m.getPayload(), 1, m.getId(), m.wasSent()));
            m.setSent(1);
            i = i + 1;
        }
        changed.broadcast();
        lock.unlock();
        drain(s);
        return s;
    }

    void receiveInto(var s : tcp_socket)
    {
        var data : string = s.receive(65536);
        if (data.length() == 0) throw name() + ": the broker closed the connection";
        last_received = now();
        inbuf = inbuf.concat(data);
    }

    // Handles every whole packet in inbuf.
    void drain(var s : tcp_socket)
    {
        var n : int;
        var p : mqtt_packet;
        while (1)
        {
            n = codec.frameLength(inbuf);
            if (n < 0) return;
            p = codec.decode(inbuf.substring(0, n));
            inbuf = codec.slice(inbuf, n, inbuf.length() - n);
            handle(p);
        }
    }

    void handle(var p : mqtt_packet)
    {
        var k : int = p.type();
        if (k == 3)
        {
            received = received + 1;
            if (handler :!= null)
            {
                try { handler.message(p.getTopic(), p.getPayload()); }
                catch (string e) { last_error = name() + ": the handler threw: " + e; }
            }
            if (p.getQos() == 1) { lock.lock(); sendLocked(codec.puback(p.packetId())); lock.unlock(); }
            return;
        }
        if (k == 2) throw "malformed MQTT packet: a second CONNACK";
        lock.lock();
        if (k == 4) acked(p.packetId());
        else if (k == 9) subacked(p.packetId(), p.returnCode());
        else if (k == 13) ping_sent = 0L;
        lock.unlock();
    }

    // A PUBACK: the message leaves inflight. An unknown id (a PUBACK repeated for a DUP) is ignored.
    void acked(var id : int)
    {
        var i : int = 0;
        while (i < inflight_count && inflight[i].getId() != id) i = i + 1;
        if (i == inflight_count) return;
        while (i + 1 < inflight_count) { inflight[i] = inflight[i + 1]; i = i + 1; }
        inflight_count = inflight_count - 1;
        inflight[inflight_count] = null;
        acknowledged = acknowledged + 1;
        changed.broadcast();
    }

    void subacked(var id : int, var code : int)
    {
        var i : int = 0;
        while (i < subs_count)
        {
            if (subs[i].getId() == id && subs[i].getAcked() == 0)
            {
                if (code == 128) { subs[i].setAcked(2); last_error = name() + ": the broker refused the subscription to \"" + subs[i].getTopic() + "\""; }
                else subs[i].setAcked(1);
            }
            i = i + 1;
        }
        changed.broadcast();
    }

    // ---- keep-alive (a tmr: callback every quarter of it) ----

    void keepAliveTick()
    {
        var t : .internal.long;
        lock.lock();
        if (state != 2 || keep_alive == 0) { lock.unlock(); return; }
        t = now();
        if (ping_sent != 0L && t - ping_sent > keep_alive * 1000L)
        {
            close_reason = name() + ": no PINGRESP within the keep-alive of " + keep_alive + " s";
            closeSocket();   // the reader's receive fails and it reconnects
            lock.unlock();
            return;
        }
        if (ping_sent == 0L && t - last_sent >= keep_alive * 500L)
        {
            sendLocked(codec.pingreq());
            ping_sent = t;
        }
        lock.unlock();
    }

    int tickMs()
    {
        var ms : int = keep_alive * 250;
        if (ms < 100) ms = 100;
        return ms;
    }

    // ---- helpers (lock held) ----

    // Sends bytes on the current socket. A failure closes it (the reader then reconnects); the message
    // stays where it is (inflight, subs) and goes out again after the reconnect.
    void sendLocked(var bytes : string)
    {
        if (sock :== null) return;
        try { sock.send(bytes); last_sent = now(); }
        catch (string e) { close_reason = e; closeSocket(); }
    }

    void closeSocket()
    {
        var s : tcp_socket = sock;
        sock = null;
        if (state == 2) state = 3;
        if (s :!= null) { try { s.close(); } catch (string e) {} }
    }

    // The next packet id not used by an unacknowledged message or subscription.
    int newId()
    {
        var id : int;
        var busy : int = 1;
        var i : int;
        while (busy)
        {
            id = next_id;
            next_id = next_id + 1;
            if (next_id > 65535) next_id = 1;
            busy = 0;
            i = 0;
            while (i < inflight_count) { if (inflight[i].getId() == id) busy = 1; i = i + 1; }
            i = 0;
            while (i < subs_count) { if (subs[i].getId() == id && subs[i].getAcked() == 0) busy = 1; i = i + 1; }
        }
        return id;
    }

    int onReader() { return reader :!= null && reader :== (new .internal.world()).getMyThread(); }

    .internal.long now() { return (new .internal.time()).now(); }

    void pause(var ms : int)
    {
        var t : .internal.connection = new .internal.connection();
        t.connect("tmr:");
        t.block(null, ms);
        t.disconnect();
    }
};
