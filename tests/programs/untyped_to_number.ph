// untyped_to_number: an untyped or object value used as a number is checked at run time; null reads as 0
package .test;
class program
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var o : .internal.object;
        var i : int;
        var arr : .internal.object[];
        arr = new .internal.object[]();
        arr[1] = 41;
        i = arr[1];
        boot.consolePrint("" + (i + 1) + "\n");
        i = arr[0];
        boot.consolePrint("null reads as " + i + "\n");
        o = "s";
        try { i = o; } catch (string e) { boot.consolePrint(e + "\n"); }
    }
};
