// .phantom.ui.action: what a button or a text field runs when it is used; extend it and override run.
package .phantom.ui;

class action extends .internal.object
{
    void action() {}

    void run(var source : widget) {}
};
