// call_sites: one call site sees receivers of several classes, including internal ones and ints, in
// turn; each call runs the method of its own receiver's class (the interpreter caches the last one)
package .test;

class animal
{
    string name() { return "animal"; }
    int legs(var extra : int) { return 4 + extra; }
};

class bird extends animal
{
    string name() { return "bird"; }
    int legs(var extra : int) { return 2 + extra; }
};

class fish extends animal
{
    string name() { return "fish"; }
    int legs(var extra : int) { return extra; }
};

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var zoo : animal[];
        zoo = new animal[]();
        zoo[0] = new animal();
        zoo[1] = new bird();
        zoo[2] = new bird();
        zoo[3] = new fish();
        zoo[4] = new animal();
        var i : int;
        var line : string;
        line = "";
        i = 0;
        while (i < 10)
        {
            var a : animal;
            a = zoo[i % 5];
            line = line + a.name() + ":" + a.legs(i) + " ";
            i = i + 1;
        }
        p(line);

        var things : .internal.object[];
        things = new .internal.object[]();
        things[0] = new bird();
        things[1] = "text";
        things[2] = 42;
        things[3] = new fish();
        things[4] = 1073741824;
        things[5] = new bird();
        line = "";
        i = 0;
        while (i < 12)
        {
            var o : .internal.object;
            o = things[i % 6];
            line = line + o.toString() + " ";
            i = i + 1;
        }
        p(line);
    }
};
