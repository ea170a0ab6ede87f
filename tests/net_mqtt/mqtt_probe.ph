// The MQTT client against a scripted broker (mqtt_test.cc, MqttScriptedBroker): connects to
// 127.0.0.1:MQTT_PORT as "probe" (clean session 1, keep-alive 1 s, retry every 200 ms), subscribes to
// c/# with QoS 1, publishes "one" to a/b with QoS 1, then reports every change it sees, one line each:
// "error: ...", "connects N", "inflight N", and "message TOPIC PAYLOAD" from the handler.
package .test;

import .phantom.net.mqtt_client;
import .phantom.net.mqtt_handler;

class mqtt_probe
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new mqtt_probe_main()); }
};

class mqtt_probe_handler extends .phantom.net.mqtt_handler
{
    var b : .internal.bootstrap;
    void mqtt_probe_handler(var boot : .internal.bootstrap) { b = boot; }
    void message(var topic : string, var payload : string) { b.consolePrint("message " + topic + " " + payload + "\n"); }
};

class mqtt_probe_main
{
    var b : .internal.bootstrap;

    void run(var boot : .internal.bootstrap) [8]
    {
        var c : .phantom.net.mqtt_client;
        var env : string[];
        var port : int = 0;
        var i : int = 0;
        var t : .internal.connection;
        var error : string = "";
        var connects : int = 0;
        var inflight : int = 0;
        b = boot;
        env = boot.getKernelEnvironment();
        while (i < env.size()) { if (env[i].strstr("MQTT_PORT=") == 0) port = env[i].substring(10, env[i].length() - 10).toInt(); i = i + 1; }
        c = new .phantom.net.mqtt_client();
        c.setHandler(new mqtt_probe_handler(boot));
        c.setRetryInterval(200);
        try { c.connect("127.0.0.1", port, "probe", 1, 1); }
        catch (string e) { say("connect failed: " + e); return; }
        say("connected");
        c.subscribe("c/#", 1);
        say("subscribed");
        c.publish("a/b", "one", 1);
        say("published");
        t = new .internal.connection();
        t.connect("tmr:");
        while (1)
        {
            if (c.lastError() != error) { error = c.lastError(); say("error: " + error); }
            if (c.connectCount() != connects) { connects = c.connectCount(); say("connects " + connects); }
            if (c.inflightCount() != inflight) { inflight = c.inflightCount(); say("inflight " + inflight); }
            t.block(null, 20);
        }
    }

    void say(var text : string) { b.consolePrint(text + "\n"); }
};
