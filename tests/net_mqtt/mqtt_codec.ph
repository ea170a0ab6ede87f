// The MQTT codec without a network (mqtt_test.cc, MqttCodec): prints packets encoded by
// .phantom.net.mqtt_codec in hex, one per line ("name hex"), and what decode makes of packets given in
// hex, well-formed and malformed ("decode name: ..."). The test compares them with bytes written out
// from the MQTT 3.1.1 specification.
package .test;

import .phantom.net.mqtt_codec;
import .phantom.net.mqtt_packet;

class mqtt_codec_main
{
    var b : .internal.bootstrap;
    var c : .phantom.net.mqtt_codec;

    void startup(var boot : .internal.bootstrap) [8]
    {
        var big : string = "";
        var i : int;
        b = boot;
        c = new .phantom.net.mqtt_codec();
        show("connect", c.connect("abc", 1, 60));
        show("connect_persistent", c.connect("sensor-1", 0, 0));
        show("publish0", c.publish("a/b", "hi", 0, 0, 0));
        show("publish1", c.publish("a/b", "hi", 1, 258, 0));
        show("publish1dup", c.publish("a/b", "", 1, 65535, 1));
        show("puback", c.puback(7));
        show("subscribe", c.subscribe(10, "x/#", 1));
        show("pingreq", c.pingreq());
        show("disconnect", c.disconnect());
        show("length127", c.remainingLength(127));
        show("length128", c.remainingLength(128));
        show("length16383", c.remainingLength(16383));
        show("length16384", c.remainingLength(16384));
        show("length268435455", c.remainingLength(268435455));
        i = 0;
        while (i < 200) { big = big.concat("0123456789"); i = i + 1; }
        b.consolePrint("big " + c.frameLength(c.publish("t", big, 1, 1, 0)) + " " + c.decode(c.publish("t", big, 1, 1, 0)).getPayload().length() + "\n");
        for_each_decode();
        b.consolePrint("bytes " + 0.toByteString().length() + " " + 255.toByteString().charAt(0) + "\n");
        try { b.consolePrint(256.toByteString()); } catch (string e) { b.consolePrint("byte 256: " + e + "\n"); }
        b.consolePrint("codec done\n");
    }

    void for_each_decode()
    {
        decode("connack", "20020100");
        decode("connack_refused", "20020005");
        decode("publish_in", "3007000361 2f62 6869");
        decode("publish_in_qos1", "320900036 12f62 0102 6869");
        decode("publish_in_empty_payload", "3005000361 2f62");
        decode("publish_retained_dup", "3b0700036 12f62 0005");
        decode("puback", "40020102");
        decode("suback", "9003000a01");
        decode("suback_failure", "9003000a80");
        decode("pingresp", "d000");
        decode("incomplete", "3007000361");
        decode("incomplete_length", "3080");
        decode("bad_length", "30ffffffff01");
        decode("too_big", "30ffffff7f");
        decode("reserved_type", "f000");
        decode("type_zero", "0000");
        decode("connect_from_broker", "100c00044d5154540402003c0000");
        decode("pubrec", "50020001");
        decode("qos2", "340900036 12f62 0102 6869");
        decode("qos3", "360900036 12f62 0102 6869");
        decode("qos1_id0", "320900036 12f62 0000 6869");
        decode("topic_past_end", "3003 00ff61");
        decode("empty_topic", "30020000");
        decode("wildcard_topic", "3005000361 2f23");
        decode("connack_long", "2003010000");
        decode("connack_flags", "20020200");
        decode("puback_flags", "42020001");
        decode("suback_code", "9003000a03");
        decode("pingresp_long", "d00100");
    }

    void decode(var name : string, var hex : string)
    {
        var buf : string = unhex(hex);
        var n : int;
        var p : .phantom.net.mqtt_packet;
        try
        {
            n = c.frameLength(buf);
            if (n < 0) { b.consolePrint("decode " + name + ": incomplete\n"); return; }
            p = c.decode(buf.substring(0, n));
            b.consolePrint("decode " + name + ": type " + p.type() + " id " + p.packetId() + " qos " + p.getQos()
                           + " dup " + p.isDup() + " retain " + p.isRetain() + " present " + p.sessionPresent()
                           + " code " + p.returnCode() + " topic " + p.getTopic() + " payload [" + p.getPayload() + "] length " + n + "\n");
        }
        catch (string e) { b.consolePrint("decode " + name + ": " + e + "\n"); }
    }

    void show(var name : string, var bytes : string)
    {
        var out : string = "";
        var i : int = 0;
        var v : int;
        while (i < bytes.length())
        {
            v = bytes.charAt(i);
            out = out.concat("0123456789abcdef".substring(v >> 4, 1)).concat("0123456789abcdef".substring(v & 15, 1));
            i = i + 1;
        }
        b.consolePrint(name + " " + out + "\n");
    }

    // Hex digits to bytes; blanks are skipped.
    string unhex(var hex : string)
    {
        var out : string = "";
        var i : int = 0;
        var d : int;
        var v : int = 0;
        var half : int = 0;
        while (i < hex.length())
        {
            d = "0123456789abcdef".strstr(hex.substring(i, 1));
            if (d >= 0)
            {
                v = v * 16 + d;
                half = half + 1;
                if (half == 2) { out = out.concat(v.toByteString()); v = 0; half = 0; }
            }
            i = i + 1;
        }
        return out;
    }
};
