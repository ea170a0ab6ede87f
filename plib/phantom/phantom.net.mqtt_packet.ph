// MQTT 3.1.1 packets (docs/network.md "MQTT"): .phantom.net.mqtt_codec turns packets into bytes and
// bytes into .phantom.net.mqtt_packet objects; the client (phantom.net.mqtt_client.ph) keeps the state.
//
// Every packet: byte 0 = type << 4 | flags; then the remaining length (1..4 bytes, 7 bits each, low
// first, bit 7 = more); then the rest. Strings are a 2-byte big-endian length and the bytes.
//   type flags  rest (what this client sends, what it accepts)
//   1 CONNECT    0  "MQTT" level 4, flags (bit 1 clean session), keep-alive (2), client id      sent
//   2 CONNACK    0  ack flags (bit 0 session present), return code; length 2                   accepted
//   3 PUBLISH   dqqr topic, packet id (2, QoS > 0 only), payload (d DUP, qq QoS, r RETAIN)      both
//   4 PUBACK     0  packet id; length 2                                                         both
//   8 SUBSCRIBE  2  packet id, then (filter, requested QoS) pairs                               sent
//   9 SUBACK     0  packet id, one return code per filter (0..2 granted QoS, 0x80 failure)     accepted
//  12 PINGREQ    0  length 0                                                                    sent
//  13 PINGRESP   0  length 0                                                                    accepted
//  14 DISCONNECT 0  length 0                                                                    sent
// Anything else from a broker (QoS 2 flows, a packet only clients send, reserved types, wrong flags or
// lengths, a remaining length over 4 bytes or over the limit) is malformed: decode() throws a string
// "malformed MQTT packet: ...", and the client closes that connection.
package .phantom.net;

// A decoded packet. Which fields mean something depends on the type (table above).
class mqtt_packet
{
    var kind : int;            // the type, 1..14
    var flags : int;           // the low 4 bits of byte 0
    var id : int;              // the packet id (PUBLISH with QoS 1, PUBACK, SUBACK)
    var topic : string;        // PUBLISH
    var payload : string;      // PUBLISH
    var qos : int;             // PUBLISH
    var dup : int;             // PUBLISH
    var retain : int;          // PUBLISH
    var session_present : int; // CONNACK
    var code : int;            // CONNACK: the return code; SUBACK: the first return code

    void set(var k : int, var f : int) { kind = k; flags = f; }
    void setPublish(var t : string, var p : string, var q : int, var i : int)
    {
        topic = t; payload = p; qos = q; id = i;
        dup = (flags >> 3) & 1;
        retain = flags & 1;
    }
    void setId(var i : int) { id = i; }
    void setConnack(var present : int, var c : int) { session_present = present; code = c; }
    void setCode(var c : int) { code = c; }

    int type() { return kind; }
    int packetId() { return id; }
    string getTopic() { return topic; }
    string getPayload() { return payload; }
    int getQos() { return qos; }
    int isDup() { return dup; }
    int isRetain() { return retain; }
    int sessionPresent() { return session_present; }
    int returnCode() { return code; }
};

class mqtt_codec
{
    var max_packet : int;     // the largest packet accepted from a peer, in bytes

    void mqtt_codec() { max_packet = 1048576; }

    void setMaxPacket(var bytes : int) { max_packet = bytes; }
    int maxPacket() { return max_packet; }

    // ---- encoding ----

    string byte(var b : int) { return b.toByteString(); }

    string u16(var v : int) { return byte((v >> 8) & 255).concat(byte(v & 255)); }

    // A length-prefixed string; at most 65535 bytes.
    string str(var s : string)
    {
        if (s.length() > 65535) throw "mqtt: a string of " + s.length() + " bytes is longer than 65535";
        return u16(s.length()).concat(s);
    }

    string remainingLength(var n : int)
    {
        var out : string = "";
        var digit : int;
        if (n > 268435455) throw "mqtt: a packet of " + n + " bytes is longer than MQTT allows";
        do
        {
            digit = n % 128;
            n = n / 128;
            if (n > 0) digit = digit | 128;
            out = out.concat(byte(digit));
        } while (n > 0);
        return out;
    }

    string packet(var first : int, var rest : string)
    {
        return byte(first).concat(remainingLength(rest.length())).concat(rest);
    }

    string connect(var clientId : string, var clean : int, var keepAlive : int)
    {
        var flags : int = 0;
        if (clean) flags = 2;
        if (keepAlive < 0 || keepAlive > 65535) throw "mqtt: keep-alive " + keepAlive + " is not 0..65535 seconds";
        return packet(16, str("MQTT").concat(byte(4)).concat(byte(flags)).concat(u16(keepAlive)).concat(str(clientId)));
    }

    string publish(var topic : string, var payload : string, var qos : int, var id : int, var dup : int)
    {
        var first : int = 48 | (qos << 1);
        var head : string = str(topic);
        if (dup) first = first | 8;
        if (qos > 0) head = head.concat(u16(id));
        return packet(first, head.concat(payload));
    }

    string puback(var id : int) { return packet(64, u16(id)); }

    string subscribe(var id : int, var filter : string, var qos : int)
    {
        return packet(130, u16(id).concat(str(filter)).concat(byte(qos)));
    }

    string pingreq() { return packet(192, ""); }

    string disconnect() { return packet(224, ""); }

    // ---- decoding ----

    // The length in bytes of the first whole packet at the start of buf, or -1 when buf does not hold
    // all of it yet. Throws when the remaining length is malformed or over the limit.
    int frameLength(var buf : string)
    {
        var n : int = 0;
        var shift : int = 1;
        var i : int = 1;
        var b : int;
        while (1)
        {
            if (i >= buf.length()) return -1;
            if (i > 4) throw "malformed MQTT packet: a remaining length of more than 4 bytes";
            b = buf.charAt(i);
            n = n + (b & 127) * shift;
            i = i + 1;
            if ((b & 128) == 0) break;
            shift = shift * 128;
        }
        if (n > max_packet - i) throw "malformed MQTT packet: " + n + " bytes is over the limit of " + max_packet;
        if (buf.length() < i + n) return -1;
        return i + n;
    }

    // s.substring that allows an empty piece at the end.
    string slice(var s : string, var from : int, var len : int)
    {
        if (len == 0) return "";
        return s.substring(from, len);
    }

    int readU16(var s : string, var at : int) { return (s.charAt(at) << 8) | s.charAt(at + 1); }

    // One whole packet (as frameLength measured it) from a broker.
    mqtt_packet decode(var buf : string)
    {
        var p : mqtt_packet = new mqtt_packet();
        var first : int = buf.charAt(0);
        var kind : int = first >> 4;
        var flags : int = first & 15;
        var start : int = 1;
        var len : int;
        var tlen : int;
        var qos : int;
        var id : int;
        var at : int;
        var topic : string;
        while ((buf.charAt(start) & 128) != 0) start = start + 1;
        start = start + 1;
        len = buf.length() - start;
        p.set(kind, flags);
        if (kind == 3)
        {
            qos = (flags >> 1) & 3;
            if (qos > 1) throw "malformed MQTT packet: PUBLISH with QoS " + qos + " (this client subscribes with QoS 0 or 1)";
            if (len < 2) throw "malformed MQTT packet: PUBLISH too short for its topic";
            tlen = readU16(buf, start);
            at = start + 2 + tlen;
            if (qos > 0) at = at + 2;
            if (at > buf.length()) throw "malformed MQTT packet: PUBLISH shorter than its topic and packet id";
            if (tlen == 0) throw "malformed MQTT packet: PUBLISH with an empty topic";
            topic = buf.substring(start + 2, tlen);
            if (topic.strstr("+") >= 0 || topic.strstr("#") >= 0) throw "malformed MQTT packet: PUBLISH to a topic with a wildcard";
            id = 0;
            if (qos > 0)
            {
                id = readU16(buf, start + 2 + tlen);
                if (id == 0) throw "malformed MQTT packet: PUBLISH with QoS 1 and packet id 0";
            }
            p.setPublish(topic, slice(buf, at, buf.length() - at), qos, id);
            return p;
        }
        if (kind == 2)
        {
            need(flags == 0 && len == 2, "CONNACK must have flags 0 and length 2");
            need(buf.charAt(start) < 2, "CONNACK with reserved acknowledge flags set");
            p.setConnack(buf.charAt(start) & 1, buf.charAt(start + 1));
            return p;
        }
        if (kind == 4 || kind == 11)
        {
            need(flags == 0 && len == 2, "PUBACK and UNSUBACK must have flags 0 and length 2");
            p.setId(readU16(buf, start));
            return p;
        }
        if (kind == 9)
        {
            need(flags == 0 && len >= 3, "SUBACK must have flags 0 and at least 3 bytes");
            p.setId(readU16(buf, start));
            p.setCode(buf.charAt(start + 2));
            need(p.returnCode() <= 2 || p.returnCode() == 128, "SUBACK with return code " + p.returnCode());
            return p;
        }
        if (kind == 13)
        {
            need(flags == 0 && len == 0, "PINGRESP must have flags 0 and length 0");
            return p;
        }
        if (kind == 0 || kind == 15) throw "malformed MQTT packet: reserved packet type " + kind;
        throw "malformed MQTT packet: a broker does not send packet type " + kind + " to this client";
    }

    void need(var ok : int, var what : string) { if (ok == 0) throw "malformed MQTT packet: " + what; }

    // The text of a CONNACK return code.
    string connackReason(var code : int)
    {
        if (code == 1) return "unacceptable protocol version (1)";
        if (code == 2) return "client identifier rejected (2)";
        if (code == 3) return "server unavailable (3)";
        if (code == 4) return "bad user name or password (4)";
        if (code == 5) return "not authorized (5)";
        return "return code " + code;
    }
};
