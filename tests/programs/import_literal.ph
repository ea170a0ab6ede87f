// import_literal
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var data : string;
        data = import "import_literal.txt";
        p("read " + data.length() + " bytes: " + data.substring(0, 9));
    }
};
