// Sensor aggregator: 30,000 sensor objects, each keeping a rolling window of its last 16 samples and
// running statistics. Every round feeds each sensor one new sample and then checks a slice of them.
// Nothing is ever saved: kill the process at any moment and it continues from the last snapshot.
package .demo;

class sensor
{
    var id : int;
    var window : int[];
    var next : int;                  // ring position of the next sample
    var filled : int;                // samples in the window (at most 16)
    var count : .internal.long;      // samples ever received
    var sum : .internal.long;        // sum of the window
    var minimum : int;
    var maximum : int;

    void sensor() {}

    void setup(var n : int)
    {
        id = n;
        window = new int[]();
        window[15] = 0;
        minimum = 2147483647;
        maximum = -2147483648;
    }

    void add(var v : int)
    {
        if (filled == 16) sum = sum - window[next];
        else filled = filled + 1;
        window[next] = v;
        sum = sum + v;
        next = (next + 1) % 16;
        count = count + 1L;
        if (v < minimum) minimum = v;
        if (v > maximum) maximum = v;
    }

    // The running sum equals the window's sum, and every sample lies within [minimum, maximum].
    int consistent()
    {
        var i : int;
        var v : int;
        var s : .internal.long;
        s = 0L;
        i = 0;
        while (i < filled)
        {
            v = window[i];
            if (v < minimum || v > maximum) return 0;
            s = s + v;
            i = i + 1;
        }
        return s == sum;
    }

    .internal.long samples() { return count; }

    int average() { if (filled == 0) return 0; return (int) (sum / filled); }
};

class sensors
{
    var boot : .internal.bootstrap;
    var all : sensor[];
    var n : int;
    var round : int;
    var seed : int;
    var checked : int;               // where the next self-check slice starts

    void startup(var b : .internal.bootstrap) [8]
    {
        var i : int;
        var s : sensor;
        boot = b;
        n = 30000;
        all = new sensor[]();
        i = 0;
        while (i < n) { s = new sensor(); s.setup(i); all[i] = s; i = i + 1; }
        seed = 12345;
        boot.consolePrint("sensors: " + n + " sensors ready\n");
        while (1) step();
    }

    // A linear congruential generator: its state is part of the world like everything else.
    int sample()
    {
        seed = seed * 1103515245 + 12345;
        return (seed >>> 8) % 1000;
    }

    void step()
    {
        var i : int;
        var s : sensor;
        round = round + 1;
        i = 0;
        while (i < n) { s = all[i]; s.add(sample()); i = i + 1; }
        verify();
        if (round % 10 == 0) boot.consolePrint("round " + round + " ok, sensor 0 average " + all[0].average() + "\n");
        else boot.consolePrint("round " + round + " ok\n");
    }

    // Every sensor has exactly one sample per round, and its window is consistent; 3,000 sensors are
    // checked each round, all of them every 10 rounds.
    void verify()
    {
        var i : int;
        var s : sensor;
        i = 0;
        while (i < 3000)
        {
            s = all[(checked + i) % n];
            if (s.samples() != round) throw "self-check failed: a sensor has " + s.samples() + " samples in round " + round;
            if (!s.consistent()) throw "self-check failed: the window of a sensor is inconsistent";
            i = i + 1;
        }
        checked = (checked + 3000) % n;
    }
};
