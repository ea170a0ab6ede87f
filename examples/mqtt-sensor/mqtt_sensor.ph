// MQTT sensor: simulated sensors whose readings are published to an MQTT broker with QoS 1, each
// message numbered ("n=17 temp=21.5 hum=40.2 t=1718000000123"), and commands obeyed from a topic.
// The counter, the sensors and the MQTT session (messages not yet acknowledged) live in the world:
// kill the process at any moment and it goes on from its last snapshot, sending again what the broker
// had not acknowledged. A message leaves only once the state that made it is committed, so the broker
// never sees a number the world later "takes back" and publishes with other readings.
//
// Settings come from the kernel environment of the world (phantom run --env NAME=VALUE, when the world
// is made): MQTT_HOST (127.0.0.1), MQTT_PORT (1883), MQTT_TOPIC (phantom/sensor), MQTT_CLIENT_ID
// (phantom-sensor), MQTT_PERIOD_MS (1000), MQTT_IMMEDIATE (0; 1 sends without waiting for the commit).
// Readings go to TOPIC/readings; commands are read from TOPIC/cmd ("pause", "resume", "period MS",
// "status"); each command is answered on TOPIC/status.
package .examples;

import .phantom.net.mqtt_client;
import .phantom.net.mqtt_handler;

class mqtt_sensor
{
    // Programs that wait start a thread of their own (docs/language.md).
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new mqtt_sensor_main()); }
};

// Commands arrive on the client's reader thread.
class mqtt_sensor_commands extends .phantom.net.mqtt_handler
{
    var sensor : mqtt_sensor_main;
    void mqtt_sensor_commands(var s : mqtt_sensor_main) { sensor = s; }
    void message(var topic : string, var payload : string) { sensor.command(payload); }
};

class mqtt_sensor_main
{
    var boot : .internal.bootstrap;
    var client : .phantom.net.mqtt_client;
    var env : string[];
    var topic : string;
    var period : int;          // milliseconds between readings
    var paused : int;
    var n : int;               // readings published
    var seed : int;            // the simulation's random generator
    var temp : int;            // tenths of a degree
    var hum : int;             // tenths of a percent
    var commands : int;
    var sleeper : .internal.connection;
    var lock : .internal.mutex;    // commands and the reading loop see n and paused change together

    void run(var b : .internal.bootstrap) [8]
    {
        var host : string;
        var port : int;
        var id : string;
        var shown : string = "";
        var reading : string;
        boot = b;
        env = boot.getKernelEnvironment();
        host = setting("MQTT_HOST", "127.0.0.1");
        port = setting("MQTT_PORT", "1883").toInt();
        topic = setting("MQTT_TOPIC", "phantom/sensor");
        id = setting("MQTT_CLIENT_ID", "phantom-sensor");
        period = setting("MQTT_PERIOD_MS", "1000").toInt();
        seed = 4711;
        temp = 215;
        hum = 400;
        lock = new .internal.mutex();
        sleeper = new .internal.connection();
        sleeper.connect("tmr:");
        client = new .phantom.net.mqtt_client();
        client.setHandler(new mqtt_sensor_commands(this));
        if (setting("MQTT_IMMEDIATE", "0") == "1") client.setImmediate(1);
        while (client.isConnected() == 0)
        {
            try { client.connect(host, port, id, 0, 30); }
            catch (string e) { say("cannot connect: " + e + "; trying again in 2 s"); sleeper.block(null, 2000); }
        }
        say("connected to " + host + ":" + port + " as " + id);
        client.subscribe(topic + "/cmd", 1);
        say("subscribed to " + topic + "/cmd; publishing to " + topic + "/readings every " + period + " ms");
        while (1)
        {
            reading = null;
            lock.lock();
            if (paused == 0) { n = n + 1; reading = measure(); }
            lock.unlock();
            if (reading :!= null)
            {
                client.publish(topic + "/readings", reading, 1);   // outside the lock: it may wait for the reader
                say("published " + reading);
            }
            if (client.lastError() != shown) { shown = client.lastError(); say("mqtt: " + shown); }
            sleeper.block(null, period);
        }
    }

    // A new reading: a random walk of each sensor, stamped with the wall clock, so that a reading made
    // again after a restart differs from one the world made before and lost.
    string measure()
    {
        temp = walk(temp, 150, 300);
        hum = walk(hum, 200, 800);
        return "n=" + n + " temp=" + tenths(temp) + " hum=" + tenths(hum) + " t=" + (new .internal.time()).now();
    }

    int walk(var v : int, var low : int, var high : int)
    {
        seed = seed * 1103515245 + 12345;
        v = v + ((seed >>> 16) % 5) - 2;
        if (v < low) v = low;
        if (v > high) v = high;
        return v;
    }

    string tenths(var v : int) { return "" + (v / 10) + "." + (v % 10); }

    void command(var text : string)
    {
        var answer : string;
        var ms : int;
        lock.lock();
        commands = commands + 1;
        if (text == "pause") { paused = 1; answer = "paused at n=" + n; }
        else if (text == "resume") { paused = 0; answer = "resumed at n=" + n; }
        else if (text == "status")
            answer = "n=" + n + " period=" + period + " paused=" + paused + " inflight=" + client.inflightCount()
                     + " connects=" + client.connectCount() + " commands=" + commands;
        else if (text.strstr("period ") == 0 && text.length() > 7)
        {
            ms = text.substring(7, text.length() - 7).toInt();
            if (ms < 10 || ms > 3600000) answer = "period must be 10..3600000 ms, not " + ms;
            else { period = ms; answer = "period " + ms; }
        }
        else answer = "unknown command \"" + text + "\" (pause, resume, period MS, status)";
        lock.unlock();
        say("command \"" + text + "\": " + answer);
        client.publish(topic + "/status", answer, 1);
    }

    // The value of NAME in the kernel environment ("NAME=VALUE"), or the default.
    string setting(var name : string, var fallback : string)
    {
        var prefix : string = name + "=";
        var i : int = 0;
        var e : string;
        while (i < env.size())
        {
            e = env[i];
            if (e.strstr(prefix) == 0)
            {
                if (e.length() == prefix.length()) return "";
                return e.substring(prefix.length(), e.length() - prefix.length());
            }
            i = i + 1;
        }
        return fallback;
    }

    void say(var text : string) { boot.consolePrint("mqtt-sensor: " + text + "\n"); }
};
