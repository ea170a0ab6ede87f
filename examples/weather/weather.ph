// .demo.weather: the original's weather window (subsystems.md §4, §5.6) with its network fetch replaced
// by a built-in table of temperatures. A 400x300 window "Weather" at (100, 100): a picture of sky and
// sun, the current temperature as "T = 14" in a panel, and a strip below that plots one 2x2 dot per
// reading, x running from 17 to 358 and starting over. One reading every 250 ms.
// As the original meant but did not do, the text is black (the original's setFg(0) was transparent)
// and the strip is cleared when the plot starts over (the original drew over its old dots).
package .demo;

class weather
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new weather_window()); }
};

class weather_window
{
    var w : .internal.window;
    var day : int[];   // °C, hour by hour
    var step : int;    // readings shown so far; the next one is day[step % 24] + the day's offset
    var x : int;       // where the next dot goes

    void run(var boot : .internal.bootstrap) [8]
    {
        var t : int;
        w = new .internal.window();
        w.setWinSize(400, 300);
        w.setWinPosition(100, 100);
        w.setTitle("Weather");
        w.setFg(0xFF93CDB4);
        w.setBg(0xFFCCCCB4);
        w.clear();
        readings();
        background();
        clearStrip();
        step = 0;
        x = 17;
        boot.consolePrint("weather: drawn\n");
        while (1)
        {
            t = temperature(step);
            showValue(t);
            plot(t);
            step = step + 1;
            boot.sleep(250);
        }
    }

    // A day of hourly temperatures (6 to 22 °C); each following day is up to a degree warmer or cooler.
    void readings()
    {
        var h : int;
        var v : string;
        day = new int[]();
        v = "08070706060708101214161819202122212018161412100908";
        h = 0;
        while (h < 24)
        {
            day[h] = (v.charAt(h * 2) - 48) * 10 + (v.charAt(h * 2 + 1) - 48);
            h = h + 1;
        }
    }

    int temperature(var n : int) { return day[n % 24] + (n / 24) % 3 - 1; }

    // Sky bands, a sun, a cloud and the value panel: the original's 400x300 picture and 200x150 sun.
    void background()
    {
        var i : int;
        i = 0;
        while (i < 10)
        {
            w.setFg(0xFF000000 + (120 + i * 9) * 65536 + (170 + i * 6) * 256 + 235);
            w.fillBox(0, 100 + i * 20, 400, 20);
            i = i + 1;
        }
        w.setFg(0xFFFFD040);
        w.fillEllipse(57, 132, 90, 90);
        w.setFg(0xFFFFE890);
        w.fillEllipse(72, 147, 60, 60);
        w.setFg(0xFFF4F4F8);
        w.fillEllipse(170, 190, 110, 50);
        w.fillEllipse(220, 200, 90, 50);
        w.fillEllipse(150, 185, 70, 35);
        w.setFg(0xFFEEEEDD);
        w.fillBox(240, 225, 140, 36);
        w.setFg(0xFF707060);
        w.drawBox(240, 225, 140, 36);
        w.setFg(0xFF000000);
        w.drawString(20, 80, "Temperature, one reading every 250 ms");
        w.update();
    }

    void clearStrip()
    {
        w.setFg(0xFFCCCCB4);
        w.fillBox(10, 10, 380, 62);
        w.setFg(0xFF93A080);
        w.drawLine(17, 15 + 2 * 6 - 1, 342, 0);
        w.drawLine(17, 15 + 2 * 22 + 2, 342, 0);
    }

    // The original's 120x22 patch at (250, 240), repainted, then "T =" and the value.
    void showValue(var t : int)
    {
        w.setFg(0xFFEEEEDD);
        w.fillBox(250, 235, 120, 22);
        w.setFg(0xFF000000);
        w.setBg(0xFFEEEEDD);  // the text cells' background: the panel's
        w.drawString(250, 235, "T =");
        w.drawString(282, 235, "" + t + " C");
        w.setBg(0xFFCCCCB4);
    }

    void plot(var t : int)
    {
        if (x > 358)
        {
            clearStrip();
            x = 17;
        }
        w.setFg(0xFF30A050);
        w.fillBox(x, 15 + 2 * t, 2, 2);
        w.update();
        x = x + 2;
    }
};
